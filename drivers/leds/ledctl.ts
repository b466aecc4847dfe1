import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import type { LedBackend, LedId, LedState } from './contract.js';
import { unknownLed, unsupportedState } from './unknown-led.js';

/** The IBPI patterns ledctl (Debian package ledmon) can show on a drive bay. */
export type LedctlPattern = 'normal' | 'failure' | 'rebuild' | 'locate';

export interface LedctlOptions {
  runner: CommandRunner;
  /** Bay status LED -> block device whose bay it lights, e.g. { 'bay0.status': '/dev/sda' }. */
  devices: Partial<Record<LedId, string>>;
  timeoutMs?: number;
}

/**
 * The manual's bay status LED in ledctl's words: off = normal, solid amber =
 * failure, blinking = rebuild. The enclosure decides the blink rate, so a blink
 * period is accepted but not honoured; flicker has no IBPI pattern.
 */
export function patternFor(state: LedState): LedctlPattern | undefined {
  switch (state.state) {
    case 'off':
      return 'normal';
    case 'on':
      return 'failure';
    case 'blink':
      return 'rebuild';
    case 'flicker':
      return undefined;
  }
}

/**
 * Drive-bay status LEDs through ledctl. ledctl cannot read a pattern back, so
 * `get` answers with the last state this backend set (off until then).
 */
export class LedctlLeds implements LedBackend {
  readonly kind = 'ledctl';
  private readonly last = new Map<LedId, LedState>();

  constructor(private readonly opts: LedctlOptions) {}

  leds(): readonly LedId[] {
    return Object.keys(this.opts.devices) as LedId[];
  }

  private device(led: LedId): string {
    const dev = this.opts.devices[led];
    if (!dev) throw unknownLed(this.kind, led);
    return dev;
  }

  async set(led: LedId, state: LedState): Promise<void> {
    const device = this.device(led);
    const pattern = patternFor(state);
    if (!pattern) throw unsupportedState(this.kind, led, state);
    await this.show(device, pattern);
    this.last.set(led, state);
  }

  /** Blinks the bay's locate pattern so a field engineer finds the right disk. */
  async locate(led: LedId): Promise<void> {
    await this.show(this.device(led), 'locate');
  }

  private async show(device: string, pattern: LedctlPattern): Promise<void> {
    const args = [`${pattern}=${device}`];
    const r = await this.opts.runner.run('ledctl', args, { timeoutMs: this.opts.timeoutMs ?? 10_000 });
    if (r.code !== 0) {
      throw new DriverError('COMMAND_FAILED', `ledctl could not set the ${pattern} pattern on ${device}.`, {
        command: ['ledctl', ...args].join(' '),
        code: r.code,
        stderr: r.stderr,
      });
    }
  }

  async get(led: LedId): Promise<LedState> {
    this.device(led);
    return this.last.get(led) ?? { state: 'off' };
  }
}
