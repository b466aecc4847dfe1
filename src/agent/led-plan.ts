import { type FRONT_PANEL_LEDS, LED_FLICKER, LED_OFF, LED_ON, bayLed, ledBlink, type LedId, type LedState } from '../../drivers/leds/contract.js';
import type { BayHealth, Health } from './health.js';
import { ACCESS_BLINK_MS, IDLE_BLINK_MS, REBUILD_STATUS_BLINK_MS } from './manual.js';

/** Every front-panel LED and what it should show. */
export type LedPlan = Record<(typeof FRONT_PANEL_LEDS)[number], LedState>;

/**
 * HDD 0/1 activity, per the manual: one blink every 16 s idle, faster while accessed
 * (a disk that just went in), flicker on both disks during a rebuild; dark for an empty
 * bay or a failed disk (nothing reads it any more).
 */
function activity(b: BayHealth, rebuilding: boolean): LedState {
  switch (b.condition) {
    case 'empty':
    case 'faulty':
    case 'rebuild-failed':
      return LED_OFF;
    case 'rebuilding':
      return LED_FLICKER;
    case 'new':
      return ledBlink(ACCESS_BLINK_MS);
    case 'in-sync':
      return rebuilding ? LED_FLICKER : ledBlink(IDLE_BLINK_MS);
    case 'spare':
    case 'unknown':
      return ledBlink(IDLE_BLINK_MS);
  }
}

/**
 * HDD 0/1 status (amber): blinking while this disk is rebuilt; solid when it is
 * faulty (failed, failed its rebuild, SMART predicts failure) or is a new disk not yet
 * in the mirror — the manual's "status LED goes amber" on insertion; off when fine.
 */
function status(b: BayHealth): LedState {
  switch (b.condition) {
    case 'rebuilding':
      return ledBlink(REBUILD_STATUS_BLINK_MS);
    case 'faulty':
    case 'rebuild-failed':
    case 'new':
    case 'spare':
      return LED_ON;
    case 'in-sync':
    case 'unknown':
      return b.smartFailing || b.concerns.length > 0 ? LED_ON : LED_OFF;
    case 'empty':
      return LED_OFF;
  }
}

/** Health in, every LED's state out. Pure. */
export function ledPlan(h: Health): LedPlan {
  const rebuilding = h.rebuildingBay !== null || h.array.state === 'recovering';
  const anyInUse = h.bays.some((b) => b.condition === 'in-sync' || b.condition === 'rebuilding');
  const plan: Partial<Record<LedId, LedState>> = {
    power: LED_ON,
    // We do not meter I/O; a rebuild is the one heavy use we know of, otherwise the disks idle.
    hddActivity: rebuilding || h.array.state === 'resyncing' || h.array.state === 'reshaping' ? ledBlink(ACCESS_BLINK_MS) : anyInUse ? ledBlink(IDLE_BLINK_MS) : LED_OFF,
    serverError: h.serverError ? LED_ON : LED_OFF,
    cdActivity: h.cdBusy ? LED_ON : LED_OFF,
  };
  for (const b of h.bays) {
    plan[bayLed(b.bay, 'activity')] = activity(b, rebuilding);
    plan[bayLed(b.bay, 'status')] = status(b);
  }
  return plan as LedPlan;
}
