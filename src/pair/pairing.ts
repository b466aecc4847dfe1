/**
 * Making two servers a pair, an administrator at each:
 *
 * 1. on server A, `pair init` prints A's pair fingerprint;
 * 2. on server B, `pair join --peer A:PORT --fingerprint <A's>`: B calls A's pair link and
 *    speaks only if A shows that very certificate, pins it, and asks A to pair; it prints
 *    B's own fingerprint;
 * 3. on server A, `pair confirm --fingerprint <B's>`: A pins B.
 *
 * Each side trusts exactly the certificate its administrator checked by eye, so neither a
 * stranger nor a man in the middle can take part; until step 3, A serves B nothing.
 */
import { caCertificatePem, issuedBy, type PairCredentials, readPairCredentials, tlsPaths } from '../pki/index.js';
import path from 'node:path';
import { PairError } from './errors.js';
import { normalizeFingerprint } from './fingerprint.js';
import { callPeer, type PeerAddress } from './link-client.js';
import { PairRegistry, type PeerRecord } from './registry.js';

export interface PairSide {
  dataDir: string;
  serial: string;
  version: string;
  now: () => number;
  /** Starts journalling every change for the peer, after all that exists now (PeerCopies.pairWith). */
  addPeer: (serial: string) => void;
}

/** This server's pair certificate, which qkmd issues when it starts as primary or secondary. */
export async function pairCredentials(side: Pick<PairSide, 'dataDir' | 'now'>): Promise<PairCredentials> {
  const creds = await readPairCredentials(tlsPaths(path.join(side.dataDir, 'tls')), new Date(side.now()));
  if (!creds) {
    throw new PairError('PAIR_NO_CERTIFICATE', 'This server has no pair certificate yet; set [pair] role to primary or secondary and start qkmd, which issues it.');
  }
  return creds;
}

export async function joinPeer(side: PairSide, o: { address: PeerAddress; fingerprint: string }): Promise<{ peer: PeerRecord; fingerprint: string }> {
  const expected = normalizeFingerprint(o.fingerprint);
  const creds = await pairCredentials(side);
  if (creds.fingerprint === expected) {
    throw new PairError('PAIR_SELF', 'That fingerprint is this server\'s own; give the fingerprint "pair init" printed on the other server.');
  }
  const caPem = await caCertificatePem(tlsPaths(path.join(side.dataDir, 'tls')));
  const call = await callPeer(o.address, creds, (fp) => fp === expected, { op: 'join', serial: side.serial, version: side.version, caPem });
  const serial = String(call.reply.serial);
  const peer: PeerRecord = { serial, fingerprint: expected, certPem: call.certPem, version: String(call.reply.version), at: side.now(), ...peerCa(call.certPem, call.reply.caPem) };
  new PairRegistry(side.dataDir).trust(peer);
  side.addPeer(serial);
  return { peer, fingerprint: creds.fingerprint };
}

/** The CA a peer sent, kept only if it is the one that issued the pair certificate the administrator pinned. */
export function peerCa(certPem: string, caPem: unknown): { caPem?: string } {
  return typeof caPem === 'string' && issuedBy(certPem, caPem) ? { caPem } : {};
}

export function confirmPeer(side: PairSide, fingerprint: string): PeerRecord {
  const peer = new PairRegistry(side.dataDir).confirm(fingerprint);
  side.addPeer(peer.serial);
  return peer;
}
