/**
 * The keystore qkmd serves, which the administrator's console may borrow for a restore:
 * with the key service stopped, qkmd closes the keystore, stops what uses it (the KMIP
 * handler's objects, the pair link) and lets go of the data directory, so that the restore
 * can hold it; asked again (or when the key service is started), it takes the directory
 * back and opens the keystore as it now is, which may be the restored one.
 *
 * The hardware agent keeps running throughout: its tickets go through `tickets`, which
 * follows the open keystore; while it is lent a ticket cannot be written, the agent says so
 * in its log and writes it at its next pass.
 */
import type { TicketStore } from '../agent/reconcile.js';
import { claimDataDir } from '../admin/data-dir-lock.js';
import type { ControlHandler } from '../control/server.js';
import type { KeyEngine } from '../engine/index.js';
import { QkmError } from '../errors.js';
import { openEngine } from './command-engine.js';
import type { Context } from './context.js';

export interface KeystoreUsers {
  /** Starts what works on the keystore just opened (at start and after every take-back). */
  open(engine: KeyEngine): Promise<void> | void;
  /** Stops it before the keystore is lent. */
  close(): Promise<void> | void;
}

export class ServedKeystore {
  private current: KeyEngine;
  private releaseDir: () => void;
  private lent = false;

  /** Hardware tickets, in whichever keystore is open. */
  readonly tickets: TicketStore = {
    open: (...a) => this.engine.tickets.open(...a),
    close: (c) => this.engine.tickets.close(c),
    list: (o) => this.engine.tickets.list(o),
  };

  /**
   * Claims the data directory (refused while anything else holds it) and opens the
   * keystore, made on first start. `claimed` runs each time the directory is held again,
   * before the keystore opens (to clear what a killed restore left).
   */
  constructor(private readonly ctx: Context, private readonly claimed: () => void) {
    this.releaseDir = claimDataDir(ctx.config.paths.data_dir);
    try {
      claimed();
      this.current = openEngine(ctx, true);
    } catch (e) {
      this.releaseDir();
      throw e;
    }
  }

  get engine(): KeyEngine {
    if (this.lent) throw new QkmError('KEYSTORE_LENT', 'The keystore is lent to the administrator\'s console for a restore; it is back when the restore ends.');
    return this.current;
  }

  get isLent(): boolean {
    return this.lent;
  }

  async lend(users: KeystoreUsers): Promise<void> {
    if (this.lent) return;
    await users.close();
    this.current.store.close();
    this.releaseDir();
    this.lent = true;
    this.ctx.log.info({}, 'keystore closed and the data directory released for a restore');
  }

  async takeBack(users: KeystoreUsers): Promise<void> {
    if (!this.lent) return;
    this.releaseDir = claimDataDir(this.ctx.config.paths.data_dir);
    try {
      this.claimed();
      this.current = openEngine(this.ctx);
    } catch (e) {
      this.releaseDir();
      throw e;
    }
    this.lent = false;
    await users.open(this.current);
    this.ctx.log.info({ keystore: this.current.store.dir }, 'keystore opened again');
  }

  /** At qkmd's stop. */
  close(): void {
    if (!this.lent) this.current.store.close();
    this.releaseDir();
  }
}

/**
 * Adds `keystore release|reopen` to the control handler: released only while the key
 * service is stopped (libraries must get no answer from a keystore about to be replaced),
 * and taken back on `reopen` or, at the latest, when the key service is started.
 */
export function withKeystoreLending(inner: ControlHandler, keystore: ServedKeystore, users: KeystoreUsers, keyServicePaused: () => boolean): ControlHandler {
  return async (req) => {
    if (req.op === 'key-service' && req.action === 'start') await keystore.takeBack(users);
    if (req.op !== 'keystore') return inner(req);
    if (req.action === 'release') {
      if (!keyServicePaused()) {
        return { reply: { ok: false, code: 'KEY_SERVICE_RUNNING', message: 'The key service is running; stop it before the keystore is released.' } };
      }
      await keystore.lend(users);
    } else {
      await keystore.takeBack(users);
    }
    return { reply: { ok: true, result: { lent: keystore.isLent } } };
  };
}
