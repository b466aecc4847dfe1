/**
 * One encryption certificate per server pair (the manual's rule): a partner wraps the keys
 * it sends with it, and either server of the pair must open them. The key pair is made on
 * the first server that needs it; the other asks its peer for it over the pair link (mutual
 * TLS, each side pinned by its administrator), and its private key is written nowhere but in
 * the two data directories.
 *
 * Not handled: two servers that each made their own before they were paired keep theirs
 * (each opens only the files made for its own certificate).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import path from 'node:path';
import {
  type EncryptionCredentials,
  MIN_EXCHANGE_RSA_BITS,
  ensureEncryptionCredentials,
  readEncryptionCredentials,
  tlsPaths,
} from '../pki/index.js';
import { keyMatchesPublicKey } from '../pki/key-pair.js';
import { writeFileDurable } from '../util/durable-file.js';
import { PairError } from './errors.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { pairCredentials, type PairSide } from './pairing.js';
import { PairRegistry } from './registry.js';

export const ENCRYPTION_KEY_OP = 'encryption-key';

const pathsOf = (dataDir: string) => tlsPaths(path.join(dataDir, 'tls'));

/** The pair link's answer to a peer asking for the pair's encryption key: ours, made now if there is none. */
export async function shareEncryptionKey(side: Pick<PairSide, 'dataDir' | 'serial' | 'now'>): Promise<{ certPem: string; keyPem: string }> {
  const own = await ensureEncryptionCredentials(pathsOf(side.dataDir), { serial: side.serial, now: new Date(side.now()) });
  return { certPem: own.certPem, keyPem: own.keyPem };
}

/**
 * This server's encryption certificate and key: its own if it has them; else, on a server
 * with peers, the pair's, fetched from the first peer that answers; else made here
 * (`create`) or none (undefined).
 */
export async function pairEncryptionCredentials(side: PairSide, addresses: readonly PeerAddress[], o: { create: boolean }): Promise<EncryptionCredentials | undefined> {
  const paths = pathsOf(side.dataDir);
  const own = await readEncryptionCredentials(paths);
  if (own) return own;
  const peers = new PairRegistry(side.dataDir).peers();
  if (peers.length === 0) return o.create ? ensureEncryptionCredentials(paths, { serial: side.serial, now: new Date(side.now()) }) : undefined;
  const pinned = new Set(peers.map((p) => p.fingerprint));
  const creds = await pairCredentials(side);
  const problems: string[] = [];
  for (const a of addresses) {
    try {
      const call = await callPeer(a, creds, (fp) => pinned.has(fp), { op: ENCRYPTION_KEY_OP });
      const { certPem, keyPem } = usable(call.reply, formatAddress(a));
      // Key before certificate: a crash in between leaves no certificate, so the next call asks again.
      writeFileDurable(paths.encryptionKey, keyPem, 0o600);
      writeFileDurable(paths.encryptionCert, certPem, 0o644);
      return await readEncryptionCredentials(paths);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  throw new PairError('PAIR_UNREACHABLE', `This server is one of a pair, whose encryption certificate is kept on both servers, and no peer gave it (${problems.join(' ') || 'no [pair] peer address is configured'}); start the peer or check the pair link, then try again.`);
}

/** The peer's answer, checked as a partner's certificate is, with a private key that is its other half. */
function usable(reply: Record<string, unknown>, where: string): { certPem: string; keyPem: string } {
  const bad = () => new PairError('PAIR_BAD_REPLY', `The server at ${where} answered with no usable encryption certificate and key.`);
  if (typeof reply.certPem !== 'string' || typeof reply.keyPem !== 'string') throw bad();
  try {
    const cert = new X509Certificate(reply.certPem);
    const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (cert.publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_EXCHANGE_RSA_BITS || !keyMatchesPublicKey(createPrivateKey(reply.keyPem), cert.publicKey)) throw bad();
  } catch {
    throw bad();
  }
  return { certPem: reply.certPem, keyPem: reply.keyPem };
}
