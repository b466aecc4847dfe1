import type { TLSSocket } from 'node:tls';
import { FrameReader, type FrameEvent } from './frame-reader.js';
import type { ClientIdentity } from './identity.js';
import type { TransportLogger } from './logger.js';

/** What a handler learns about the connection a frame came on. */
export interface ConnectionInfo {
  /** A number unique within this server's life, to tie log lines together. */
  id: number;
  identity: ClientIdentity;
  remoteAddress: string;
  remotePort: number;
}

/**
 * Answers one complete TTLV message. Resolve to the reply bytes, or to null when the
 * message deserves no answer and the connection should close (KMIP is strictly request and
 * response, so a request left unanswered would hang the client).
 */
export type FrameHandler = (conn: ConnectionInfo, frame: Buffer) => Promise<Buffer | null>;

/**
 * Optional: several requests that arrived together (pipelined), answered together, one
 * reply per frame in order; a null reply closes the connection after the replies before
 * it. Lets a handler give a pipeline one durable commit instead of one per request.
 */
export type FramesHandler = (conn: ConnectionInfo, frames: Buffer[]) => Promise<(Buffer | null)[]>;

/**
 * Called once when a message header claims more than the size bound, before the
 * connection closes; may return an error response. `head` is all of the message that was
 * read: its first bytes as they arrived (the 8-byte header, at most 64 bytes).
 */
export type OversizeHandler = (
  conn: ConnectionInfo,
  oversize: { head: Buffer; claimedBytes: number; maxFrameBytes: number },
) => Promise<Buffer | null>;

export interface ConnectionLimits {
  maxFrameBytes: number;
  /** Close a connection with no message in progress or in hand for this long. */
  idleTimeoutMs: number;
  /** A message must arrive whole within this long of its first byte (slowloris guard). */
  frameTimeoutMs: number;
  /** Stop reading while this many requests wait (a pipelining client cannot queue without bound). */
  maxQueuedFrames: number;
}

/** Grace for the last reply to leave before the socket is torn down. */
const CLOSE_GRACE_MS = 2000;

type Task = { kind: 'frame'; frame: Buffer } | { kind: 'oversize'; head: Buffer; claimedBytes: number };

/**
 * One library's TLS connection: reads frames, runs them through the handler in arrival
 * order (frames that arrived together go to the frames handler as one run, when there is
 * one), writes replies in that order, and enforces the timeouts.
 */
export class KmipConnection {
  private readonly reader: FrameReader;
  private readonly queue: Task[] = [];
  private running = false;
  private closing = false;
  private peerEnded = false;
  private pausedByUs = false;
  private frameTimer: NodeJS.Timeout | undefined;
  /**
   * One idle timer for the connection's life, re-armed with refresh() after every
   * request rather than replaced; disarming only drops this flag, so a busy connection
   * costs no timer work per request. A timer that fires disarmed does nothing.
   */
  private idleTimer: NodeJS.Timeout | undefined;
  private idleArmed = false;

  constructor(
    readonly info: ConnectionInfo,
    private readonly socket: TLSSocket,
    private readonly handlers: { frame: FrameHandler; frames?: FramesHandler | undefined; oversize?: OversizeHandler | undefined },
    private readonly limits: ConnectionLimits,
    private readonly log: TransportLogger,
  ) {
    this.reader = new FrameReader(limits.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset by the peer is how many clients hang up; not worth a warning.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        this.log.warn({ ...this.fields(), err: err.message, code: err.code }, 'key server connection error');
      }
    });
    socket.on('close', () => this.clearTimers());
    this.armIdle();
  }

  /** Tear the connection down now (server stopping or paused). */
  destroy(): void {
    this.closing = true;
    this.clearTimers();
    this.socket.destroy();
  }

  private fields(): Record<string, unknown> {
    return { conn: this.info.id, library: this.info.identity.library, remoteAddress: this.info.remoteAddress };
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.clearIdle();
    const events = this.reader.push(chunk);
    for (const event of events) this.enqueue(event);
    if (this.closing) return;
    // A completed message stops its clock; a message begun in the same chunk gets a fresh one.
    if (events.length > 0) this.clearFrameTimer();
    if (this.reader.partialBytes > 0) {
      // The slow-read clock starts at a message's first byte and is not reset by later ones.
      if (!this.frameTimer && !this.pausedByUs) this.startFrameTimer();
    } else {
      this.clearFrameTimer();
    }
    this.pump();
  }

  private enqueue(event: FrameEvent): void {
    if (event.kind === 'frame') {
      this.queue.push({ kind: 'frame', frame: event.frame });
      if (this.queue.length >= this.limits.maxQueuedFrames && !this.pausedByUs) {
        this.pausedByUs = true;
        this.clearFrameTimer();
        this.socket.pause();
      }
      return;
    }
    this.log.warn(
      { ...this.fields(), claimedBytes: event.claimedBytes, maxFrameBytes: this.limits.maxFrameBytes },
      'KMIP message over the size bound; closing the connection',
    );
    // Nothing after this header is read; replies already owed are still written first.
    this.clearFrameTimer();
    this.socket.pause();
    this.queue.push({ kind: 'oversize', head: event.head, claimedBytes: event.claimedBytes });
  }

  private onEnd(): void {
    this.peerEnded = true;
    if (this.reader.partialBytes > 0 && !this.closing) {
      this.log.info({ ...this.fields(), partialBytes: this.reader.partialBytes }, 'client closed in the middle of a KMIP message');
    }
    this.clearFrameTimer();
    if (!this.running && this.queue.length === 0) this.close();
  }

  private pump(): void {
    if (this.running || this.closing) return;
    this.running = true;
    void this.answerQueued().finally(() => {
      this.running = false;
      if (this.closing) return;
      if (this.peerEnded) return this.close();
      this.armIdle();
    });
  }

  private async answerQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      const task = this.queue.shift()!;
      const pipelined = task.kind === 'frame' && this.handlers.frames !== undefined && this.queue[0]?.kind === 'frame';
      const frames = pipelined ? [task.frame, ...this.takeQueuedFrames()] : [];
      if (this.pausedByUs && this.queue.length < this.limits.maxQueuedFrames / 2) this.resumeReading();
      const replies = pipelined ? await this.runFrames(frames) : [await this.run(task)];
      if (!(await this.writeReplies(replies))) return;
      if (task.kind === 'oversize') return this.close();
    }
  }

  /**
   * Writes one run's replies in order; false when the connection is closing. Replies to
   * pipelined requests leave together (fewer TLS records and syscalls); a lone request's
   * reply is not held back. When the socket holds more than it wants, this waits for it to
   * drain before the next request is answered: that is the back-pressure, a client that
   * never reads stalls only itself.
   */
  private async writeReplies(replies: (Buffer | null)[]): Promise<boolean> {
    const together = replies.length > 1;
    if (together) this.socket.cork();
    let full = false;
    try {
      for (const reply of replies) {
        if (this.closing) return false;
        if (reply === null) {
          this.close();
          return false;
        }
        if (!this.socket.destroyed && !this.socket.write(reply)) full = true;
      }
    } finally {
      // Never wait for a drain while corked: corked bytes are not sent, so it would never come.
      if (together && !this.socket.destroyed) this.socket.uncork();
    }
    if (full) await this.drained();
    return true;
  }

  /**
   * The frames waiting at the head of the queue, up to the first non-frame task; a run
   * holds at most maxQueuedFrames, which bounds the replies held in memory at once (one
   * chunk from the socket can carry hundreds of small requests).
   */
  private takeQueuedFrames(): Buffer[] {
    const frames: Buffer[] = [];
    while (this.queue[0]?.kind === 'frame' && frames.length < this.limits.maxQueuedFrames - 1) {
      frames.push((this.queue.shift() as { frame: Buffer }).frame);
    }
    return frames;
  }

  private async runFrames(frames: Buffer[]): Promise<(Buffer | null)[]> {
    try {
      return await this.handlers.frames!(this.info, frames);
    } catch (err) {
      return [this.handlerFailed(err)];
    }
  }

  /** The reply to write; null (also when the handler throws) means close the connection. */
  private async run(task: Task): Promise<Buffer | null> {
    try {
      if (task.kind === 'frame') return await this.handlers.frame(this.info, task.frame);
      if (!this.handlers.oversize) return null;
      return await this.handlers.oversize(this.info, {
        head: task.head,
        claimedBytes: task.claimedBytes,
        maxFrameBytes: this.limits.maxFrameBytes,
      });
    } catch (err) {
      return this.handlerFailed(err);
    }
  }

  /** Logs a handler's failure; the null reply closes the connection. */
  private handlerFailed(err: unknown): null {
    this.log.error({ ...this.fields(), err: err instanceof Error ? err.message : String(err) }, 'KMIP handler failed; closing the connection');
    return null;
  }

  /**
   * Settles when the socket has sent what it holds, or closed. A client that reads
   * nothing for the idle timeout is hung (its requests stop at maxQueuedFrames, but its
   * connection and the replies waiting for it would be held for ever): it is cut off.
   */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const stalled = setTimeout(() => {
        this.log.warn({ ...this.fields(), idleTimeoutMs: this.limits.idleTimeoutMs }, 'client is not reading its answers; closing the connection');
        this.destroy();
      }, this.limits.idleTimeoutMs);
      const done = () => {
        clearTimeout(stalled);
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private resumeReading(): void {
    this.pausedByUs = false;
    this.socket.resume();
    if (this.reader.partialBytes > 0) this.startFrameTimer();
  }

  /** Half-close politely so the last reply is delivered; destroy if the peer lingers. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimers();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private startFrameTimer(): void {
    this.clearFrameTimer();
    this.frameTimer = setTimeout(() => {
      this.log.warn(
        { ...this.fields(), partialBytes: this.reader.partialBytes, frameTimeoutMs: this.limits.frameTimeoutMs },
        'KMIP message not received in time (slow client); closing the connection',
      );
      this.destroy();
    }, this.limits.frameTimeoutMs);
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.closing || this.running || this.queue.length > 0 || this.reader.partialBytes > 0) return;
    this.idleArmed = true;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.onIdle(), this.limits.idleTimeoutMs);
  }

  private onIdle(): void {
    if (!this.idleArmed) return;
    this.log.info({ ...this.fields(), idleTimeoutMs: this.limits.idleTimeoutMs }, 'idle key server connection closed');
    this.close();
  }

  private clearFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private clearIdle(): void {
    this.idleArmed = false;
  }

  private clearTimers(): void {
    this.clearFrameTimer();
    this.clearIdle();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
