import type { FrontPanelBoard } from './board.js';
import { LED_OFF, type LedBackend, type LedId, type LedState } from '../leds/contract.js';
import { unknownLed, unsupportedState } from '../leds/unknown-led.js';
import { BOARD_LEDS } from './messages.js';

/** The front panel's LEDs driven by the serial board: every LED of the panel, each state the contract has. */
export class SerialBoardLeds implements LedBackend {
  readonly kind = 'serial-board';

  constructor(private readonly board: FrontPanelBoard) {}

  get deviceName(): string {
    return this.board.device;
  }

  leds(): readonly LedId[] {
    return BOARD_LEDS;
  }

  async set(led: LedId, state: LedState): Promise<void> {
    if (!BOARD_LEDS.includes(led)) throw unknownLed(this.kind, led);
    // The board's period field is 16 bits of milliseconds.
    if (state.state === 'blink' && !(state.periodMs >= 1 && state.periodMs <= 0xffff)) throw unsupportedState(this.kind, led, state);
    await this.board.setLed(led, state);
  }

  /** The board has no read-back: what it last acknowledged (off until told otherwise, as it starts). */
  async get(led: LedId): Promise<LedState> {
    if (!BOARD_LEDS.includes(led)) throw unknownLed(this.kind, led);
    return this.board.lastState(led) ?? LED_OFF;
  }

  /** A board can go silent while no LED changes; the agent asks it every pass. */
  probe(): Promise<void> {
    return this.board.ping();
  }
}
