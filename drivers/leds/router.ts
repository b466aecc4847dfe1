import { DriverError } from '../errors.js';
import type { LedBackend, LedId, LedState } from './contract.js';
import { unknownLed } from './unknown-led.js';

/**
 * Which backend drives which LED is configuration data, e.g.
 *   { power: 'sysfs', 'bay0.status': 'ledctl', identify: 'ipmi' }
 * The router is itself a LedBackend, so the agent sees one front panel.
 */
export type LedMapping = Partial<Record<LedId, string>>;

export class LedRouter implements LedBackend {
  readonly kind = 'router';

  constructor(
    private readonly mapping: LedMapping,
    private readonly backends: Readonly<Record<string, LedBackend>>,
  ) {
    for (const [led, name] of Object.entries(mapping)) {
      const backend = name ? backends[name] : undefined;
      if (!backend) {
        throw new DriverError('CONFIG_INVALID', `The LED "${led}" is mapped to "${name}", which is not a configured LED backend.`, {
          led,
          backend: name,
        });
      }
      if (!backend.leds().includes(led as LedId)) {
        throw new DriverError('CONFIG_INVALID', `The LED backend "${name}" has no setting for the LED "${led}".`, { led, backend: name });
      }
    }
  }

  leds(): readonly LedId[] {
    return Object.keys(this.mapping) as LedId[];
  }

  private backendFor(led: LedId): LedBackend {
    const name = this.mapping[led];
    const b = name ? this.backends[name] : undefined;
    if (!b) throw unknownLed(this.kind, led);
    return b;
  }

  async set(led: LedId, state: LedState): Promise<void> {
    return this.backendFor(led).set(led, state);
  }

  async get(led: LedId): Promise<LedState> {
    return this.backendFor(led).get(led);
  }
}
