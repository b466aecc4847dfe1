import type { RaidEvent } from './contract.js';
import { bayOf, type BayDisks } from './bays.js';

/** One event as `mdadm --monitor` prints it: `Aug  7 09:46:25: Fail on /dev/md0 /dev/sdb1`. */
export interface MdMonitorLine {
  event: string;
  array: string;
  component: string | null;
}

const LINE = /^(?:\w{3}\s+\d+\s+\d\d:\d\d:\d\d:\s+)?(\w+) on (\S+)(?: (.+))?$/;
// The same event handed to a --program, which gets it as arguments: "Fail /dev/md0 /dev/sdb1".
const ARGS = /^(\w+) (\/dev\/\S+)(?: (\S+))?$/;

export function parseMonitorLine(line: string): MdMonitorLine | undefined {
  const text = line.trim();
  const m = LINE.exec(text) ?? ARGS.exec(text);
  if (!m) return undefined;
  const component = m[3] && m[3] !== 'unknown device' ? m[3].trim() : null;
  return { event: m[1]!, array: m[2]!, component };
}

/**
 * mdadm's event names in the family's terms. SpareActive repeats what
 * RebuildFinished already said for the same rebuild, and NewArray, TestMessage,
 * SparesMissing and MoveSpare say nothing about the mirror's health.
 */
export function monitorEvents(line: MdMonitorLine, bays: BayDisks): RaidEvent[] {
  const device = line.component?.replace(/^\/dev\//, '') ?? '';
  const bay = device ? bayOf(bays, device) : null;
  const progress = /^Rebuild(\d\d)$/.exec(line.event);
  if (progress) return [{ type: 'rebuild-progress', percent: Number(progress[1]) }];
  switch (line.event) {
    case 'Fail':
      return [{ type: 'disk-failed', bay, device }];
    case 'FailSpare':
      return [{ type: 'rebuild-failed', bay, device }];
    case 'RebuildStarted':
      return [{ type: 'rebuild-started', bay, device }];
    case 'RebuildFinished':
      return [{ type: 'rebuild-finished', bay, device }];
    case 'DegradedArray':
      return [{ type: 'array-degraded' }];
    case 'DeviceDisappeared':
      return [{ type: 'array-failed' }];
    default:
      return [];
  }
}
