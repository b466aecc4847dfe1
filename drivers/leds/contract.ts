/**
 * The front-panel LED family. Every backend (Linux LED class in sysfs, ledctl for
 * drive-bay LEDs, the BMC's identify LED through ipmitool, the simulator) drives
 * some of these LEDs; a router built from configuration puts them together.
 */

/** The front panel: four system LEDs and, per bay, an activity and a status LED. */
export const FRONT_PANEL_LEDS = [
  'power',
  'hddActivity',
  'serverError',
  'cdActivity',
  'bay0.activity',
  'bay0.status',
  'bay1.activity',
  'bay1.status',
] as const;

export type SystemLedId = 'power' | 'hddActivity' | 'serverError' | 'cdActivity';
export type BayLedKind = 'activity' | 'status';
export type BayLedId = `bay${number}.${BayLedKind}`;
/** `identify` is the BMC's chassis identify LED, where the box has one. */
export type LedId = SystemLedId | BayLedId | 'identify';

export function bayLed(bay: number, kind: BayLedKind): BayLedId {
  return `bay${bay}.${kind}`;
}

/**
 * What an LED shows. `blink` carries its period (one flash per period); `flicker`
 * is blinking so fast it looks solid, which the manual uses for "RAID rebuild".
 * The shape is the one `qkmcmds hw status --json` prints for each LED.
 */
export type LedState =
  | { state: 'off' }
  | { state: 'on' }
  | { state: 'blink'; periodMs: number }
  | { state: 'flicker' };

export const LED_OFF: LedState = { state: 'off' };
export const LED_ON: LedState = { state: 'on' };
export const LED_FLICKER: LedState = { state: 'flicker' };
export function ledBlink(periodMs: number): LedState {
  return { state: 'blink', periodMs };
}

export interface LedBackend {
  /** Short backend name for logs and status ("sysfs", "ledctl", "ipmi", "sim"). */
  readonly kind: string;
  /** The LEDs this backend drives. */
  leds(): readonly LedId[];
  /**
   * Sets an LED. Throws DriverError UNKNOWN_LED for an LED it does not drive and
   * UNSUPPORTED_STATE for a state its hardware cannot show.
   */
  set(led: LedId, state: LedState): Promise<void>;
  /** Reads the LED back (from the hardware where it can say, else the last state set). */
  get(led: LedId): Promise<LedState>;
  /**
   * Checks that the LEDs' device still answers, for a backend whose device can go silent
   * while no LED changes (a board on a serial line); the agent calls it when it has
   * nothing to set. Rejects with the reason when the device does not answer.
   */
  probe?(): Promise<void>;
  /** The device, as a ticket names it when it goes silent ("the front-panel board on /dev/ttyS1"). */
  readonly deviceName?: string;
}

export function sameLedState(a: LedState, b: LedState): boolean {
  if (a.state !== b.state) return false;
  return a.state !== 'blink' || a.periodMs === (b as { periodMs: number }).periodMs;
}

export function describeLedState(s: LedState): string {
  return s.state === 'blink' ? `blink every ${s.periodMs} ms` : s.state;
}
