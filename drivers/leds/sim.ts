import { FRONT_PANEL_LEDS, sameLedState, type LedBackend, type LedId, type LedState } from './contract.js';
import { unknownLed } from './unknown-led.js';

export interface LedChange {
  led: LedId;
  state: LedState;
  at: number;
}

/** The simulated front panel: remembers each LED and tells listeners when one changes. */
export class SimLeds implements LedBackend {
  readonly kind = 'sim';
  private readonly states = new Map<LedId, LedState>();
  private readonly listeners = new Set<(c: LedChange) => void>();

  constructor(
    leds: readonly LedId[] = FRONT_PANEL_LEDS,
    private readonly now: () => number = Date.now,
  ) {
    for (const led of leds) this.states.set(led, { state: 'off' });
  }

  leds(): readonly LedId[] {
    return [...this.states.keys()];
  }

  async set(led: LedId, state: LedState): Promise<void> {
    const before = this.states.get(led);
    if (!before) throw unknownLed(this.kind, led);
    this.states.set(led, { ...state });
    if (!sameLedState(before, state)) {
      for (const l of this.listeners) l({ led, state: { ...state }, at: this.now() });
    }
  }

  async get(led: LedId): Promise<LedState> {
    const s = this.states.get(led);
    if (!s) throw unknownLed(this.kind, led);
    return { ...s };
  }

  /** All LEDs at once, for drawing the panel. */
  snapshot(): Record<string, LedState> {
    return Object.fromEntries([...this.states].map(([k, v]) => [k, { ...v }]));
  }

  onChange(listener: (c: LedChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
