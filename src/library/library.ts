/**
 * The simulated tape library: a Scalar i500- or i2000-class library with partitions and
 * drives, asking its key servers for keys as the manual describes. Writing a tape asks
 * for a new key (Create with the tape's key identifier and barcode, then Get) and keeps
 * the key's name with the tape; reading asks for the key by that name. It fails over as
 * the manual says (server-links.ts) and raises its own tickets: 80 % of a server's keys
 * used (the i2000 then generates automatically), out of keys, automatic generation done
 * or failed, failover.
 */
import { TAPE_PATTERN, type World } from '../engine/index.js';
import { ResultStatus } from '../kmip/ttlv/index.js';
import { type LibraryCredentials, readBundle } from './bundle.js';
import type { LibraryConfig, ServerAddress } from './config.js';
import { LibraryError } from './errors.js';
import { describeServer, type KmipConnection } from './kmip-connection.js';
import {
  type KeyUsage,
  Refusal,
  createForTape,
  generateKeys,
  getKey,
  keyUsage,
  payloadOf,
  readGenerated,
  readKeyMaterial,
  readUid,
  readUsage,
} from './requests.js';
import { ServerLinks, isUnreachable } from './server-links.js';
import { LibraryState, type TapeRecord } from './state.js';
import { readsBack, writeBlock } from './tape-block.js';

/** The manual's depletion point: the library's ticket at this share of a server's keys used. */
export const DEPLETION_PERCENT = 80;

export interface LibraryLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export type GenerationOutcome =
  | { server: ServerAddress; ok: true; generated: boolean; keys: number }
  | { server: ServerAddress; ok: false; why: string };

export interface WrittenTape { barcode: string; keyName: string; server: ServerAddress }

/**
 * A server of a pair answers a generation once its peer stored the copy, or after its
 * [pair] generation_timeout_seconds (30 by default) with the set taken back: the library
 * waits that long rather than take a slow peer for a dead server.
 */
const GENERATION_ANSWER_MS = 40_000;

const GENERATION_FAILED = 'generation-failed';
const KEYS_GENERATED = 'keys-generated';

/** The channel enabling, generation and diagnostics use, apart from the drives'. */
const CONTROL = 'control';

export class SimulatedLibrary {
  readonly links: ServerLinks;
  private generating: Promise<void> | undefined;

  constructor(
    readonly config: LibraryConfig,
    readonly creds: LibraryCredentials,
    readonly state: LibraryState,
    private readonly world: World,
    private readonly log: LibraryLog,
  ) {
    this.links = new ServerLinks(config.servers, creds, config.timeoutMs, (e) => {
      this.log.warn({ from: e.from, to: e.to, why: e.why }, 'failed over');
      this.state.openTicket(`failover:${e.from.role}`,
        `The library could not reach ${describeServer(e.from)} (${e.why}) and now asks ${describeServer(e.to)}; it goes back to the primary when the library restarts or the secondary fails.`);
    });
  }

  /** The library of `config`: its bundle read, its state opened. */
  static async open(config: LibraryConfig, world: World, log: LibraryLog): Promise<SimulatedLibrary> {
    const creds = await readBundle(config.bundle);
    return new SimulatedLibrary(config, creds, LibraryState.open(config.stateDir, world), world, log);
  }

  get name(): string {
    return this.creds.library;
  }

  close(): void {
    this.links.close();
    this.state.close();
  }

  partitionOf(drive: string): string {
    const p = this.config.partitions.find((x) => x.drives.includes(drive));
    if (!p) throw new LibraryError('LIBRARY_DRIVES', `Drive ${drive} is not in ${this.config.file}; use one of ${this.drives().join(', ')}.`, { params: { drive } });
    return p.name;
  }

  drives(): string[] {
    return this.config.partitions.flatMap((p) => p.drives);
  }

  /** Drives of the partitions where library-managed encryption is on. */
  encryptingDrives(): string[] {
    return this.config.partitions.filter((p) => this.state.encrypted(p.name)).flatMap((p) => p.drives);
  }

  /**
   * Library-managed encryption on a partition: the library asks every key server to
   * generate its set (each makes one only if the library's unused keys are insufficient).
   * The partition is enabled only when every server did so or had enough; otherwise
   * nothing changes and the outcomes say which server failed and why.
   */
  async enableEncryption(partition: string): Promise<GenerationOutcome[]> {
    this.requirePartition(partition);
    const outcomes = await this.generateOnAll();
    if (outcomes.every((o) => o.ok)) this.state.setEncryption(partition, true);
    return outcomes;
  }

  disableEncryption(partition: string): void {
    this.requirePartition(partition);
    this.state.setEncryption(partition, false);
  }

  /** Writes a tape in `drive`: a new key from the first server that gives one, kept with the tape. */
  async writeTape(drive: string, barcode: string): Promise<WrittenTape> {
    const partition = this.partitionOf(drive);
    if (!this.state.encrypted(partition)) {
      throw new LibraryError('PARTITION_NOT_ENCRYPTED', `Library-managed encryption is off on partition ${partition}; enable it before writing tapes in drive ${drive}.`, { params: { partition, drive } });
    }
    if (!TAPE_PATTERN.test(barcode)) throw new LibraryError('BAD_BARCODE', `The barcode "${barcode.slice(0, 40)}" is not 1 to 32 printable characters without spaces; give the tape's label.`, { params: { tape: barcode } });
    const keyIdentifier = this.world.randomBytes(16).toString('hex');
    const got = await this.firstAnswer(drive, `give a key for tape ${barcode}`, (conn) => this.newKey(conn, barcode, keyIdentifier));
    const block = writeBlock(got.key, this.world.randomBytes(12), barcode, keyIdentifier);
    got.key.fill(0);
    await this.state.recordTape({ barcode, keyName: got.name, keyIdentifier, server: got.server.role, drive, writtenAt: this.world.now(), ...block });
    await this.afterKeyRequest(got.server, got.usage);
    return { barcode, keyName: got.name, server: got.server };
  }

  /** Reads a tape: its key by name from the first server that has it, and the block must decrypt. */
  async readTape(drive: string, barcode: string): Promise<{ tape: TapeRecord; server: ServerAddress }> {
    this.partitionOf(drive);
    const tape = this.state.tape(barcode);
    if (!tape) throw new LibraryError('TAPE_UNKNOWN', `No tape ${barcode} was written by this library; check the barcode.`, { params: { tape: barcode } });
    return this.firstAnswer(drive, `give the key ${tape.keyName} of tape ${barcode}`, async (conn) => {
      const answer = await conn.request([getKey(tape.keyName)]);
      const key = readKeyMaterial(conn.server, payloadOf(conn.server, answer.batchItems[0]));
      const ok = readsBack(key, tape, barcode, tape.keyIdentifier);
      key.fill(0);
      if (!ok) {
        throw new LibraryError('TAPE_UNREADABLE', `${describeServer(conn.server)} gave a key named ${tape.keyName} that does not decrypt tape ${barcode}; the key is not the one the tape was written with.`, { params: { tape: barcode, key: tape.keyName, server: describeServer(conn.server) } });
      }
      return { tape, server: conn.server };
    });
  }

  /** Asks every configured server to generate the library's set; both must answer (the manual's rule). */
  async generateOnAll(): Promise<GenerationOutcome[]> {
    return Promise.all(this.config.servers.map(async (server): Promise<GenerationOutcome> => {
      try {
        const answer = await this.links.on(server, CONTROL, (conn) => conn.request([generateKeys(this.config.class)], { timeoutMs: Math.max(this.config.timeoutMs, GENERATION_ANSWER_MS) }));
        return { server, ok: true, ...readGenerated(server, payloadOf(server, answer.batchItems[0])) };
      } catch (e) {
        if (e instanceof LibraryError) return { server, ok: false, why: e.message };
        throw e;
      }
    }));
  }

  /**
   * Runs `work` on each server in failover order until one answers: a server that cannot
   * be reached is failed over from; one that refuses (throws Refusal) is passed over.
   */
  private async firstAnswer<T>(drive: string, what: string, work: (conn: KmipConnection) => Promise<T>): Promise<T> {
    const reasons: string[] = [];
    for (const server of this.links.inOrder()) {
      try {
        return await this.links.on(server, drive, work);
      } catch (e) {
        if (isUnreachable(e)) this.links.failOver(server, e.message);
        else if (!(e instanceof Refusal)) throw e;
        reasons.push((e as LibraryError).message);
      }
    }
    throw new LibraryError('NO_SERVER', `No key server could ${what}: ${reasons.join(' ')}`, { params: { asked: what, reasons } });
  }

  /**
   * Create, Get and Key Usage in one request. A refused Create is followed by the usage,
   * which says whether the server ran out of keys for this library: then the out-of-keys
   * ticket, and the library fails over.
   */
  private async newKey(conn: KmipConnection, barcode: string, keyIdentifier: string): Promise<{ server: ServerAddress; name: string; key: Buffer; usage: KeyUsage }> {
    const server = conn.server;
    const answer = await conn.request([createForTape(barcode, keyIdentifier), getKey(), keyUsage()], { continueOnError: true });
    const [created, got, usage] = answer.batchItems;
    try {
      const name = readUid(server, payloadOf(server, created));
      return { server, name, key: readKeyMaterial(server, payloadOf(server, got)), usage: readUsage(server, payloadOf(server, usage)) };
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.refusedKey(server, usage?.resultStatus === ResultStatus.Success ? readUsage(server, payloadOf(server, usage)) : undefined, e);
      throw e;
    }
  }

  private refusedKey(server: ServerAddress, usage: KeyUsage | undefined, e: Refusal): void {
    const out = usage !== undefined && usage.total > 0 && usage.used >= usage.total;
    if (out) {
      this.state.openTicket(`out-of-keys:${server.role}`,
        `Library ${this.name} has used every key it has on ${describeServer(server)} and tried to fail over to the other server; generate a new set on that server now, then back up both servers' keystores.`);
    } else {
      this.state.openTicket(`key-refused:${server.role}`, `${describeServer(server)} gave library ${this.name} no key: ${e.serverMessage}`);
    }
    this.log.warn({ server, out, why: e.serverMessage }, 'key refused');
    this.links.failOver(server, e.message);
  }

  /**
   * The manual's 80 % rule, checked after every key given. The i2000 then generates
   * automatically, and while that keeps failing, tries again at every key request.
   */
  private async afterKeyRequest(server: ServerAddress, usage: KeyUsage): Promise<void> {
    const condition = `keys-depleted:${server.role}`;
    this.state.closeTicket(`out-of-keys:${server.role}`);
    this.state.closeTicket(`key-refused:${server.role}`);
    const depleted = usage.total > 0 && usage.used * 100 >= usage.total * DEPLETION_PERCENT;
    if (!depleted) this.state.closeTicket(condition);
    else {
      const reminder = this.config.class === 'i2000'
        ? 'the library is generating more keys on both servers'
        : 'schedule a time to generate more keys on both servers (disable and enable encryption on a partition) and back up both keystores';
      this.state.openTicket(condition, `Library ${this.name} has used ${usage.used} of its ${usage.total} keys on ${describeServer(server)} (${DEPLETION_PERCENT} % or more); ${reminder}.`);
    }
    if (this.config.class !== 'i2000' || this.generating !== undefined) return;
    if (!depleted && !this.state.isOpen(GENERATION_FAILED)) return;
    this.generating = this.generateAutomatically().finally(() => (this.generating = undefined));
    await this.generating;
  }

  /**
   * The i2000's automatic generation, which succeeds only when every server answers.
   * When every server still has enough unused keys (the servers count by set, the library
   * by share used) nothing is made and the next key request asks again.
   */
  private async generateAutomatically(): Promise<void> {
    const outcomes = await this.generateOnAll();
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      this.state.openTicket(GENERATION_FAILED,
        `Library ${this.name} failed to generate new keys (${failed.map((f) => f.why).join(' ')}); make sure both key servers run. It tries again at every key request.`);
      return;
    }
    const retried = this.state.isOpen(GENERATION_FAILED);
    if (!retried && !outcomes.some((o) => o.ok && o.generated)) return;
    for (const s of this.config.servers) this.state.closeTicket(`keys-depleted:${s.role}`);
    this.state.closeTicket(GENERATION_FAILED);
    this.state.closeTicket(KEYS_GENERATED);
    this.state.openTicket(KEYS_GENERATED, `Library ${this.name} completed generating new keys on its key servers; back up both servers' keystores as soon as possible.`);
  }

  private requirePartition(partition: string): void {
    if (!this.config.partitions.some((p) => p.name === partition)) {
      throw new LibraryError('PARTITION_UNKNOWN', `Partition ${partition} is not in ${this.config.file}; use one of ${this.config.partitions.map((p) => p.name).join(', ')}.`, { params: { partition } });
    }
  }
}
