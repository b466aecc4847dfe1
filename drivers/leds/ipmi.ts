import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import type { LedBackend, LedId, LedState } from './contract.js';
import { unknownLed, unsupportedState } from './unknown-led.js';

export interface IpmiIdentifyOptions {
  runner: CommandRunner;
  /** Which logical LED the BMC identify light stands for (default "identify"). */
  led?: LedId;
  timeoutMs?: number;
}

/**
 * The BMC's chassis identify LED via `ipmitool chassis identify`. The BMC, not we,
 * chooses how it lights (most blink), so "on" and "blink" both ask for `force`
 * (until turned off) and "off" is interval 0. IPMI has no portable read-back of
 * the identify state, so `get` answers with the last state set.
 */
export class IpmiIdentifyLed implements LedBackend {
  readonly kind = 'ipmi';
  private readonly led: LedId;
  private last: LedState = { state: 'off' };

  constructor(private readonly opts: IpmiIdentifyOptions) {
    this.led = opts.led ?? 'identify';
  }

  leds(): readonly LedId[] {
    return [this.led];
  }

  async set(led: LedId, state: LedState): Promise<void> {
    if (led !== this.led) throw unknownLed(this.kind, led);
    if (state.state === 'flicker') throw unsupportedState(this.kind, led, state);
    const arg = state.state === 'off' ? '0' : 'force';
    const args = ['chassis', 'identify', arg];
    const r = await this.opts.runner.run('ipmitool', args, { timeoutMs: this.opts.timeoutMs ?? 15_000 });
    if (r.code !== 0) {
      throw new DriverError('COMMAND_FAILED', 'The BMC did not accept the chassis identify command.', {
        command: ['ipmitool', ...args].join(' '),
        code: r.code,
        stderr: r.stderr,
      });
    }
    this.last = state;
  }

  async get(led: LedId): Promise<LedState> {
    if (led !== this.led) throw unknownLed(this.kind, led);
    return this.last;
  }
}
