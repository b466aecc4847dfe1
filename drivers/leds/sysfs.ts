import type { FileRoot } from '../file-root.js';
import { DriverError } from '../errors.js';
import type { LedBackend, LedId, LedState } from './contract.js';
import { unknownLed } from './unknown-led.js';

export interface SysfsLedOptions {
  root: FileRoot;
  /** Logical LED -> LED class device name under /sys/class/leds (configuration data). */
  names: Partial<Record<LedId, string>>;
  /** Half-period of `flicker`: fast enough to look solid, as the manual describes. */
  flickerHalfMs?: number;
  /**
   * Longest "on" time of a blink. "One blink every 16 s" is a short flash, not
   * eight seconds lit, so long periods keep a short on-time.
   */
  maxBlinkOnMs?: number;
}

/** Reads the active trigger: the kernel lists all triggers, the active one in brackets. */
export function activeTrigger(triggerFile: string): string {
  const text = triggerFile.trim();
  const bracketed = /\[([^\]]+)\]/.exec(text);
  if (bracketed) return bracketed[1]!;
  // A plain word is what a test root holds after we wrote it.
  return text.split(/\s+/)[0] ?? 'none';
}

/** Linux LED class devices (GPIO LEDs on the front panel). */
export class SysfsLeds implements LedBackend {
  readonly kind = 'sysfs';
  private readonly flickerHalfMs: number;
  private readonly maxBlinkOnMs: number;

  constructor(private readonly opts: SysfsLedOptions) {
    this.flickerHalfMs = opts.flickerHalfMs ?? 50;
    this.maxBlinkOnMs = opts.maxBlinkOnMs ?? 250;
  }

  leds(): readonly LedId[] {
    return Object.keys(this.opts.names) as LedId[];
  }

  private dir(led: LedId): string {
    const name = this.opts.names[led];
    if (!name) throw unknownLed(this.kind, led);
    if (name.includes('/')) {
      throw new DriverError('CONFIG_INVALID', `The LED class name "${name}" for ${led} must not contain "/".`, { led, name });
    }
    return `/sys/class/leds/${name}`;
  }

  private async maxBrightness(dir: string): Promise<string> {
    const max = await this.opts.root.readIfExists(`${dir}/max_brightness`);
    return (max ?? '1').trim() || '1';
  }

  async set(led: LedId, state: LedState): Promise<void> {
    const dir = this.dir(led);
    const fs = this.opts.root;
    switch (state.state) {
      case 'off':
        await fs.write(`${dir}/trigger`, 'none');
        await fs.write(`${dir}/brightness`, '0');
        return;
      case 'on':
        await fs.write(`${dir}/trigger`, 'none');
        await fs.write(`${dir}/brightness`, await this.maxBrightness(dir));
        return;
      case 'blink': {
        const period = Math.max(2, Math.round(state.periodMs));
        const on = Math.min(Math.floor(period / 2), this.maxBlinkOnMs);
        await this.timer(dir, on, period - on);
        return;
      }
      case 'flicker':
        await this.timer(dir, this.flickerHalfMs, this.flickerHalfMs);
        return;
    }
  }

  // The kernel creates delay_on/delay_off when the timer trigger is chosen, so the
  // trigger goes first; brightness last, since writing 0 would stop the timer.
  private async timer(dir: string, onMs: number, offMs: number): Promise<void> {
    const fs = this.opts.root;
    await fs.write(`${dir}/trigger`, 'timer');
    await fs.write(`${dir}/delay_on`, String(onMs));
    await fs.write(`${dir}/delay_off`, String(offMs));
  }

  async get(led: LedId): Promise<LedState> {
    const dir = this.dir(led);
    const fs = this.opts.root;
    const trigger = activeTrigger((await fs.readIfExists(`${dir}/trigger`)) ?? 'none');
    if (trigger === 'timer') {
      const on = Number((await fs.readIfExists(`${dir}/delay_on`)) ?? '500');
      const off = Number((await fs.readIfExists(`${dir}/delay_off`)) ?? '500');
      if (on + off <= this.flickerHalfMs * 2 + 20) return { state: 'flicker' };
      return { state: 'blink', periodMs: on + off };
    }
    if (trigger === 'default-on') return { state: 'on' };
    const brightness = Number(((await fs.readIfExists(`${dir}/brightness`)) ?? '0').trim());
    return brightness > 0 ? { state: 'on' } : { state: 'off' };
  }
}
