/**
 * `pair status`: for each peer, whether its pair link answers now (and as the pinned
 * server), the last contact, how far behind it is (entries of this server's journal it
 * has not acknowledged, and the age of the oldest), and both software versions, with a
 * warning when they differ: the manual asks for the same version on both servers; and the
 * partners' certificates imported here that qkmd has still to send it (partner-offers.ts).
 */
import type { ChangeJournal, PeerState } from '../engine/index.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { pairCredentials, type PairSide } from './pairing.js';
import { pendingOffers } from './partner-offers.js';
import { PairRegistry } from './registry.js';

export interface PeerStatus {
  serial: string | null;
  address: string | null;
  role: string | null;
  reachable: boolean;
  /** Why not, when it is not. */
  problem: string | null;
  lastContact: string | null;
  lagEntries: number | null;
  lagSeconds: number | null;
  version: { self: string; peer: string | null };
  versionsDiffer: boolean;
  /** Partners whose certificate, imported here, the peer at this address has not stored yet. */
  partnersNotSent?: string[];
}

export async function pairStatus(side: PairSide, addresses: readonly PeerAddress[], journal: Pick<ChangeJournal, 'peers' | 'lastSeq' | 'after'>): Promise<PeerStatus[]> {
  const peers = new PairRegistry(side.dataDir).peers();
  const byFingerprint = new Map(peers.map((p) => [p.fingerprint, p]));
  const creds = peers.length > 0 ? await pairCredentials(side) : undefined;
  const now = side.now();
  const seen = new Set<string>();
  const rows: PeerStatus[] = [];
  const unanswered: { address: string; problem: string }[] = [];
  for (const a of addresses) {
    if (!creds) {
      unanswered.push({ address: formatAddress(a), problem: 'not paired' });
      continue;
    }
    try {
      const call = await callPeer(a, creds, (fp) => byFingerprint.has(fp), { op: 'hello' }, 5_000);
      const peer = byFingerprint.get(call.fingerprint)!;
      seen.add(peer.serial);
      rows.push(row(side, journal, now, peer.serial, formatAddress(a), { role: String(call.reply.role), version: String(call.reply.version), contact: now }));
    } catch (e) {
      unanswered.push({ address: formatAddress(a), problem: (e as Error).message });
    }
  }
  // A peer that answered at no address: matched, in order, with the addresses that did not answer.
  for (const p of peers.filter((x) => !seen.has(x.serial))) {
    const u = unanswered.shift();
    rows.push({ ...row(side, journal, now, p.serial, u?.address ?? null, { version: p.version }), problem: u?.problem ?? 'no [pair] peer address is configured for it' });
  }
  for (const u of unanswered) rows.push({ ...row(side, journal, now, null, u.address, {}), problem: u.problem });
  const offers = pendingOffers(side.dataDir);
  return rows.map((r) => ({ ...r, partnersNotSent: offers.filter((o) => r.address !== null && o.peers.includes(r.address)).map((o) => o.name) }));
}

function row(side: PairSide, journal: Pick<ChangeJournal, 'peers' | 'lastSeq' | 'after'>, now: number, serial: string | null, address: string | null,
  seen: { role?: string; version?: string; contact?: number }): PeerStatus {
  const state = journal.peers().find((p) => p.name === serial);
  const lag = state ? peerLag(journal, state, now) : null;
  const contact = seen.contact ?? state?.ackedAt ?? null;
  const peerVersion = seen.version ?? null;
  return {
    serial, address, role: seen.role ?? null,
    reachable: seen.contact !== undefined,
    problem: null,
    lastContact: contact === null ? null : new Date(contact).toISOString(),
    lagEntries: lag?.entries ?? null,
    lagSeconds: lag?.seconds ?? null,
    version: { self: side.version, peer: peerVersion },
    versionsDiffer: peerVersion !== null && peerVersion !== side.version,
  };
}

/** How far a peer is behind: entries of this server's journal it has not acknowledged, and the oldest one's age in seconds. */
export function peerLag(journal: Pick<ChangeJournal, 'lastSeq' | 'after'>, peer: Pick<PeerState, 'ackedSeq'>, now: number): { entries: number; seconds: number } {
  const oldest = journal.after(peer.ackedSeq, 1)[0];
  return { entries: journal.lastSeq() - peer.ackedSeq, seconds: oldest ? Math.max(0, Math.round((now - oldest.at) / 1000)) : 0 };
}

/** A peer's status in the words the terminal and the menu both show. */
export function peerStatusLines(r: PeerStatus): string[] {
  return [
    `Peer ${r.serial ?? '(not paired)'} at ${r.address ?? '(no address configured)'}${r.role ? ` (${r.role})` : ''}: ${r.reachable ? 'reachable' : `NOT reachable: ${r.problem}`}`,
    `  last contact: ${r.lastContact ?? 'never'}`,
    ...(r.lagEntries !== null ? [`  replication lag: ${r.lagEntries} change(s), ${r.lagSeconds} s`] : []),
    `  software: this server ${r.version.self}, peer ${r.version.peer ?? 'unknown'}`,
    ...(r.versionsDiffer ? [`  WARNING: the two servers run different qkm versions (${r.version.self} and ${r.version.peer}); install the same version on both.`] : []),
    ...(r.partnersNotSent?.length ? [`  partner certificates it lacks: ${r.partnersNotSent.join(', ')} (imported here; sent as soon as the pair link works)`] : []),
  ];
}
