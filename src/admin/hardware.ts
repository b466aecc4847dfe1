import { controlRequest } from '../control/client.js';
import type { ControlRequest } from '../control/protocol.js';
import type { HwStatus } from '../status/hardware.js';
import type { ToolCapture } from '../hardware/tool-capture.js';

export type SimRequest = Omit<ControlRequest & { op: 'sim' }, 'op'>;

/** `hw status`: the front panel, RAID, disks and open tickets, as the running qkmd sees them. */
export async function hardwareStatus(dataDir: string): Promise<HwStatus> {
  return (await controlRequest(dataDir, { op: 'hw-status' })) as HwStatus;
}

/** `sim ...`: one change to the running qkmd's simulated appliance; returns what happened, in a sentence. */
export async function simulate(dataDir: string, req: SimRequest): Promise<string> {
  return ((await controlRequest(dataDir, { op: 'sim', ...req })) as { message: string }).message;
}

/** The storage tools' outputs, gathered by the running qkmd through its drivers' runner (for a log capture). */
export async function hardwareToolOutputs(dataDir: string): Promise<ToolCapture> {
  return (await controlRequest(dataDir, { op: 'capture-tools' }, 60_000)) as ToolCapture;
}
