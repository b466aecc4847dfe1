/**
 * A server restored from a backup learns from its peers what it handed out after that
 * backup: each peer's copy holds every allocation replication brought it. Those keys are
 * marked used here before any key is handed out again, so no key already on a tape is
 * given to another. With no peer answering, nothing changes: the libraries stay "needs
 * sync" until a peer returns or the administrator gives each library's last key.
 */
import type { HeldKey, KeyEngine, ReplicatedEntry } from '../engine/index.js';
import { PeerCopies } from '../engine/index.js';
import { PairError } from './errors.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { pairCredentials, type PairSide } from './pairing.js';
import { PairRegistry } from './registry.js';

export interface PeerSyncResult { peers: string[]; recovered: number; unknown: number; sets: number }

export async function syncFromPeers(side: PairSide, addresses: readonly PeerAddress[], engine: KeyEngine): Promise<PeerSyncResult> {
  const peers = new PairRegistry(side.dataDir).peers();
  if (peers.length === 0 || addresses.length === 0) {
    throw new PairError('PAIR_NO_PEER', 'This server has no peer to synchronise from; give each library\'s last key instead.');
  }
  const creds = await pairCredentials(side);
  const result: PeerSyncResult = { peers: [], recovered: 0, unknown: 0, sets: 0 };
  const copies = new PeerCopies(engine);
  const failures: string[] = [];
  for (const a of addresses) {
    try {
      // The sets held here, so that the peer sends back only those made after the backup.
      const call = await callPeer(a, creds, (fp) => peers.some((p) => p.fingerprint === fp), { op: 'held', sets: copies.localSets() }, 60_000);
      const serial = peers.find((p) => p.fingerprint === call.fingerprint)!.serial;
      const r = copies.recoverFromPeer(serial, { applied: Number(call.reply.applied), keys: call.reply.keys as HeldKey[], sets: (call.reply.sets ?? []) as ReplicatedEntry[] });
      result.peers.push(serial);
      result.recovered += r.recovered;
      result.unknown += r.unknown;
      result.sets += r.sets;
    } catch (e) {
      failures.push(`${formatAddress(a)}: ${(e as Error).message}`);
    }
  }
  if (result.peers.length === 0) {
    throw new PairError('PAIR_SYNC_UNREACHABLE', `No peer answered (${failures.join('; ')}), so nothing changed and the libraries still need a sync; try again when a peer is up, or give each library's last key.`);
  }
  return result;
}
