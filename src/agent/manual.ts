/**
 * Timings the appliance's manual gives for the front panel and the disk-replacement
 * procedure. They are facts about the product, not tuning knobs, so they are constants
 * here rather than config keys.
 */

/** An idle disk's activity LED: one blink every 16 s. */
export const IDLE_BLINK_MS = 16_000;
/** "Faster": a disk being accessed (a newly inserted disk for its first ~5 s). */
export const ACCESS_BLINK_MS = 250;
/** The status LED of the disk being rebuilt blinks at this period. */
export const REBUILD_STATUS_BLINK_MS = 1_000;
/** How long a newly inserted disk's activity LED blinks fast before the rebuild starts. */
export const NEW_DISK_MS = 5_000;
/** No bay may stay empty longer than this while powered (cooling). */
export const BAY_EMPTY_MAX_MS = 10 * 60_000;
/** How long the "rebuild finished" notice stays open before it is closed as history. */
export const REBUILD_FINISHED_NOTICE_MS = 60 * 60_000;
/**
 * POST beeps once when it passes; any other pattern (more than one beep, any sequence)
 * means it found a problem, and the customer calls service.
 */
export const POST_PASSED_PATTERN = '1';
export const POST_PROBLEM = { meaning: 'POST found a problem with the server.', action: 'Contact Quantum Service & Support.' } as const;
/** Rebuild progress is recorded as a ticket at each of these percentages. */
export const REBUILD_MILESTONES = [25, 50, 75] as const;
