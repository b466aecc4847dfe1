/**
 * Which servers this one is paired with, and which asked to be. Kept in `<data_dir>/pair/`
 * beside `tls/`, outside the keystore, for the same reason as the certificate register: a
 * restore brings back an older keystore, and must neither forget a peer nor bring back
 * one that was removed.
 *
 * A peer is known by its pair certificate, pinned by fingerprint. A joining server's
 * request waits in `pending/` until an administrator of this server confirms the
 * fingerprint that server printed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileDurable } from '../util/durable-file.js';
import { PairError } from './errors.js';
import { fingerprintFileName, normalizeFingerprint } from './fingerprint.js';

export interface PeerRecord {
  /** The peer's serial number, the name its journal entries and acknowledgements go by. */
  serial: string;
  fingerprint: string;
  certPem: string;
  /** Its software version when it last said. */
  version: string;
  /** When it was paired (peers) or asked (pending), ms since the epoch. */
  at: number;
  /** Where the request came from (pending only). */
  from?: string;
  /**
   * The peer's appliance CA certificate, which issued its pair certificate and its
   * libraries' certificates: this server's key service accepts those libraries, and its
   * library bundles trust the peer's key server (absent for pairs made before it was kept).
   */
  caPem?: string;
}

const PEERS = 'peers';
const PENDING = 'pending';

export class PairRegistry {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'pair');
  }

  peers(): PeerRecord[] {
    return this.list(PEERS);
  }

  /** The CA certificates of the peers, for the key service and the library bundles. */
  peerCas(): string[] {
    return this.peers().flatMap((p) => (p.caPem ? [p.caPem] : []));
  }

  pending(): PeerRecord[] {
    return this.list(PENDING);
  }

  /** The paired server whose pair certificate has this fingerprint, if any. */
  peerByFingerprint(fingerprint: string): PeerRecord | undefined {
    return this.read(PEERS, fingerprint);
  }

  /** Pins a peer (on the joining side: the administrator typed its fingerprint). */
  trust(peer: PeerRecord): void {
    const others = this.peers().filter((p) => p.serial === peer.serial && p.fingerprint !== peer.fingerprint);
    // A server paired again (a new pair certificate) replaces its old pin.
    for (const o of others) rmSync(this.file(PEERS, o.fingerprint), { force: true });
    this.write(PEERS, peer);
    const pending = this.file(PENDING, peer.fingerprint);
    if (existsSync(pending)) {
      rmSync(pending);
      fsyncDir(path.dirname(pending));
    }
  }

  /** Records a request to pair; it changes nothing until confirmed. */
  ask(request: PeerRecord): void {
    this.write(PENDING, request);
  }

  /** The administrator confirmed the fingerprint the joining server printed: it becomes a peer. */
  confirm(fingerprint: string): PeerRecord {
    const fp = normalizeFingerprint(fingerprint);
    const request = this.read(PENDING, fp);
    if (!request) {
      const known = this.read(PEERS, fp);
      if (known) return known;
      throw new PairError('PAIR_NO_REQUEST', `No server with the pair fingerprint ${fp} has asked to pair with this one; run the join on the other server first, then confirm the fingerprint it prints.`);
    }
    this.trust(request);
    return request;
  }

  private list(kind: string): PeerRecord[] {
    const dir = path.join(this.dir, kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as PeerRecord);
  }

  private read(kind: string, fingerprint: string): PeerRecord | undefined {
    const file = this.file(kind, fingerprint);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PeerRecord) : undefined;
  }

  private write(kind: string, record: PeerRecord): void {
    mkdirSync(path.join(this.dir, kind), { recursive: true, mode: 0o700 });
    writeFileDurable(this.file(kind, record.fingerprint), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  }

  private file(kind: string, fingerprint: string): string {
    return path.join(this.dir, kind, `${fingerprintFileName(fingerprint)}.json`);
  }
}
