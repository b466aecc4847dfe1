import { desiredTickets, type DesiredTicket } from './desired-tickets.js';
import { assess, type DriverFamily, type Health, type PostFinding } from './health.js';
import { ledPlan, type LedPlan } from './led-plan.js';
import { remember, type AgentMemory, type Readings } from './memory.js';

export interface Verdict {
  memory: AgentMemory;
  health: Health;
  leds: LedPlan;
  tickets: DesiredTicket[];
}

/** One supervisor step, pure: readings and memory in; new memory, health, LED plan and wanted tickets out. */
export function supervise(
  memory: AgentMemory, r: Readings, blind: readonly DriverFamily[], tempMaxC: number, cdBusy = false, post: PostFinding | null = null,
  devices: Partial<Record<DriverFamily, string>> = {},
): Verdict {
  const next = remember(memory, r);
  const health = assess({ raid: r.raid, disks: r.disks, memory: next, blind, now: r.now, tempMaxC, cdBusy, post });
  return { memory: next, health, leds: ledPlan(health), tickets: desiredTickets(health, devices) };
}
