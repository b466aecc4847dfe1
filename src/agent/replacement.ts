import { isDriverError } from '../../drivers/errors.js';
import type { RaidReAdder, RaidStatus } from '../../drivers/raid/contract.js';
import type { AgentLog, AgentSnapshot, PassReport } from './agent.js';
import { worded } from '../ras/ticket-catalogue.js';
import type { TicketStore } from './reconcile.js';

/**
 * Ticket conditions of the re-add. Not under "hw:": the agent's reconciler owns every
 * "hw:" ticket and would close these as conditions it does not know.
 */
export const READD_PREFIX = 'disk-readd:';
const KINDS = ['waiting', 'not-blank', 'failed'] as const;
type Kind = (typeof KINDS)[number];
const condition = (kind: Kind, bay: number) => `${READD_PREFIX}${kind}:bay${bay}`;

export interface ReplacementOptions {
  /** Null: writing to disks is not allowed, so a waiting disk only gets a ticket. */
  readder: RaidReAdder | null;
  tickets: TicketStore;
  /** "/dev/md0", for the words of the tickets. */
  array: string;
  bays: Readonly<Record<number, string>>;
  partition: number;
  log: AgentLog;
}

/** A bay whose disk md has not taken in: present, settled past its first seconds, and in no role of a degraded array. */
export function waitingBays(snap: Pick<AgentSnapshot, 'raid' | 'health'>): { bay: number; serial: string | null }[] {
  const raid: RaidStatus | null = snap.raid;
  if (!raid || !snap.health || raid.state !== 'degraded') return [];
  return snap.health.bays
    .filter((b) => b.condition === 'spare' && !raid.members.some((m) => m.bay === b.bay && m.state !== 'missing'))
    .map((b) => ({ bay: b.bay, serial: b.serial }));
}

/**
 * Watches the agent's passes for a replaced disk that md has not taken in and, when
 * allowed, adds it (MdReAdder: only a blank disk is written to). Each disk is tried once;
 * what needs a person becomes a ticket, which closes when the bay no longer waits.
 */
export class ReplacementWatcher {
  private readonly tried = new Map<number, string>();
  private busy: Promise<void> = Promise.resolve();
  private running = false;
  private stopped = false;

  constructor(private readonly o: ReplacementOptions, private readonly kick: () => void) {}

  onPass(report: PassReport): void {
    if (this.stopped) return;
    const waiting = waitingBays(report.snapshot);
    // From the store, not from memory: a ticket left open by an earlier run closes too.
    const open = this.o.tickets.list({ openOnly: true }).filter((t) => t.condition.startsWith(READD_PREFIX));
    for (const bay of Object.keys(this.o.bays).map(Number)) {
      if (waiting.some((w) => w.bay === bay)) continue;
      this.tried.delete(bay);
      for (const k of KINDS) if (open.some((t) => t.condition === condition(k, bay))) this.o.tickets.close(condition(k, bay));
    }
    for (const w of waiting) {
      // A disk is known by its serial; without one (smartctl could not say) by its bay alone.
      const id = w.serial ?? '?';
      if (this.tried.get(w.bay) === id) continue;
      if (this.running) return; // one disk at a time; the next pass brings the other
      this.tried.set(w.bay, id);
      if (!this.o.readder) {
        this.waitForPerson(w.bay, w.serial);
        continue;
      }
      this.running = true;
      this.busy = this.add(this.o.readder, w.bay, w.serial).finally(() => {
        this.running = false;
        this.kick();
      });
    }
  }

  /** Resolves when no re-add is under way. */
  settled(): Promise<void> {
    return this.busy;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.busy;
  }

  private byHand(bay: number): string {
    const disk = this.o.bays[bay]!;
    const good = Object.entries(this.o.bays).find(([b]) => Number(b) !== bay)?.[1] ?? 'the other disk';
    const member = /\d$/.test(disk) ? `${disk}p${this.o.partition}` : `${disk}${this.o.partition}`;
    return `sfdisk -d ${good} | sfdisk ${disk}, then mdadm ${this.o.array} --add ${member}`;
  }

  private waitForPerson(bay: number, serial: string | null): void {
    const what = serial ? `The disk ${serial}` : 'The disk';
    this.o.log.warn({ bay, serial }, 'a replaced disk waits to be added to the mirror; qkmd writes to no disk ([hardware] readd_blank_disks = false)');
    this.o.tickets.open(
      condition('waiting', bay),
      'warning',
      `${what} in bay ${bay} is not in the mirror ${this.o.array}, and qkmd writes to no disk by itself ([hardware] readd_blank_disks = false); ` +
        `if the disk is blank, add it by hand (${this.byHand(bay)}), or set readd_blank_disks = true and restart qkmd.`,
      worded('readd-waiting', { bay, serial, array: this.o.array, byHand: this.byHand(bay) }),
    );
  }

  private async add(readder: RaidReAdder, bay: number, serial: string | null): Promise<void> {
    this.o.log.info({ bay, serial }, 'adding the replaced disk to the mirror');
    try {
      const r = await readder.addReplacement(bay);
      this.o.log.info({ bay, serial, steps: r.steps }, 'the replaced disk was added to the mirror; md rebuilds onto it');
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.o.log.warn({ bay, serial, err: e }, 'the replaced disk could not be added to the mirror');
      if (this.stopped) return;
      if (isDriverError(e, 'DISK_NOT_BLANK')) {
        const found = Array.isArray(e.detail.found) ? e.detail.found.join(', ') : 'data';
        const disk = this.o.bays[bay]!;
        this.o.tickets.open(
          condition('not-blank', bay),
          'warning',
          `The new ${serial ? `disk ${serial}` : 'disk'} in bay ${bay} is not blank (${found}), so qkmd wrote nothing to it; insert a blank disk, ` +
            `or, if this disk may be erased, wipe it (wipefs -a ${disk}), then pull it and insert it again.`,
          worded('readd-not-blank', { bay, serial, found, disk }),
        );
      } else {
        this.o.tickets.open(condition('failed', bay), 'error', `qkmd could not add the new disk in bay ${bay} to the mirror ${this.o.array} (${msg}); see qkmd's log, then add it by hand: ${this.byHand(bay)}.`,
          worded('readd-failed', { bay, array: this.o.array, reason: msg, byHand: this.byHand(bay) }));
      }
    }
  }
}
