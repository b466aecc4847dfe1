import { DriverError } from '../errors.js';
import { describeLedState, type LedId, type LedState } from './contract.js';

export function unknownLed(kind: string, led: LedId): DriverError {
  return new DriverError('UNKNOWN_LED', `The ${kind} LED backend does not drive the LED "${led}".`, { backend: kind, led });
}

export function unsupportedState(kind: string, led: LedId, state: LedState): DriverError {
  return new DriverError(
    'UNSUPPORTED_STATE',
    `The ${kind} LED backend cannot show "${describeLedState(state)}" on the LED "${led}".`,
    { backend: kind, led, state },
  );
}
