/**
 * Replication, the sending side (in qkmd): for each peer address, push the entries of this
 * server's journal that the peer has not acknowledged, a batch at a time; the peer answers
 * with the highest entry it holds, and the journal is trimmed behind it. A peer that is
 * down is tried again every few seconds, and catches up from its last acknowledgement
 * when it returns: nothing is lost (entries stay until acknowledged) and nothing applied
 * twice (the peer skips what it holds).
 */
import type { ChangeJournal, PeerCopies } from '../engine/index.js';
import type { Logger } from '../logs/logger.js';
import type { PairCredentials } from '../pki/index.js';
import { PairError } from './errors.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { peerCa } from './pairing.js';
import type { PairRegistry } from './registry.js';

export interface ReplicatorOptions {
  addresses: readonly PeerAddress[];
  creds: PairCredentials;
  registry: PairRegistry;
  journal: ChangeJournal;
  copies: PeerCopies;
  log: Logger;
  /** The serials of the library certificates revoked here: the peer refuses them too. */
  revoked?: () => string[];
  /** How often an idle link looks for new entries, and keeps in touch (ms). */
  pollMs?: number;
  keepAliveMs?: number;
  retryMs?: number;
  batch?: number;
  /**
   * What else is sent to a peer once its link works: after the first push that gets
   * through (at start, or after the link failed), then at most once per keep-alive, so an
   * idle hook costs nothing per poll. It reports its own failures.
   */
  afterContact?: (address: PeerAddress) => Promise<void>;
}

export class Replicator {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private wake: (() => void)[] = [];

  constructor(private readonly o: ReplicatorOptions) {}

  start(): void {
    for (const a of this.o.addresses) this.loops.push(this.run(a));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wake) w();
    await Promise.all(this.loops);
  }

  private async run(address: PeerAddress): Promise<void> {
    const where = formatAddress(address);
    const keepAlive = this.o.keepAliveMs ?? 5_000;
    let failing: string | undefined;
    let lastContact = 0;
    let lastAfterContact = 0;
    while (!this.stopped) {
      try {
        const pending = this.anythingUnacknowledged();
        if (pending || Date.now() - lastContact >= keepAlive) {
          const more = await this.push(address);
          lastContact = Date.now();
          if (failing !== undefined) this.o.log.info({ peer: where }, 'pair link: replication to the peer works again');
          if (this.o.afterContact && (failing !== undefined || lastContact - lastAfterContact >= keepAlive)) {
            lastAfterContact = lastContact;
            await this.o.afterContact(address);
          }
          failing = undefined;
          if (more) continue;
        }
        await this.sleep(this.o.pollMs ?? 20);
      } catch (e) {
        const why = (e as Error).message;
        if (failing !== why) this.o.log.warn({ peer: where, err: why }, 'pair link: cannot replicate to the peer; retrying');
        failing = why;
        await this.sleep(this.o.retryMs ?? 2_000);
      }
    }
  }

  /** Whether some peer has not acknowledged everything (cheap: two small reads). */
  private anythingUnacknowledged(): boolean {
    const last = this.o.journal.lastSeq();
    return this.o.journal.peers().some((p) => p.ackedSeq < last);
  }

  /** One batch to the peer at `address`; true when more are waiting. */
  private async push(address: PeerAddress): Promise<boolean> {
    const peers = this.o.registry.peers();
    let serial = '';
    let sent = 0;
    const call = await callPeer(address, this.o.creds, (fp) => peers.some((p) => p.fingerprint === fp), (fp) => {
      serial = peers.find((p) => p.fingerprint === fp)!.serial;
      const state = this.o.journal.peers().find((p) => p.name === serial);
      if (!state) throw new PairError('PAIR_NOT_JOURNALLED', `Server ${serial} is pinned but this keystore keeps no journal for it; pair the servers again.`);
      const entries = this.o.copies.outgoing(state.ackedSeq, this.o.batch ?? 64);
      sent = entries.length;
      return { op: 'push', entries, last: this.o.journal.lastSeq(), revoked: this.o.revoked?.() ?? [] };
    });
    const applied = Number(call.reply.applied);
    this.o.journal.acknowledge(serial, applied);
    await this.learnCa(address, serial);
    return sent > 0 && applied < this.o.journal.lastSeq();
  }

  /** A peer paired before CAs were exchanged at pairing: its CA, asked once over the pinned link. */
  private async learnCa(address: PeerAddress, serial: string): Promise<void> {
    const record = this.o.registry.peers().find((p) => p.serial === serial);
    if (!record || record.caPem) return;
    const call = await callPeer(address, this.o.creds, (fp) => fp === record.fingerprint, { op: 'hello' });
    const ca = peerCa(record.certPem, call.reply.caPem);
    if (ca.caPem) this.o.registry.trust({ ...record, ...ca });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = self.wake.filter((w) => w !== done);
        resolve();
      }
      this.wake.push(done);
    });
  }
}
