import { softwareStatus } from '../admin/update.js';
import { PACKAGE_ROOT } from '../config/config.js';
import type { HardwareHost } from '../hardware/start.js';
import { peerAddresses } from '../pair/settings.js';
import { type PeerStatus, pairStatus } from '../pair/status.js';
import { type StatusDocument, statusDocument } from '../status/document.js';
import { hwStatus } from '../status/hardware.js';
import { VERSION, type Context } from './context.js';
import { pairSide } from './command-engine.js';
import type { ServedKeystore } from './served-keystore.js';
import { terminalTicketText } from './words.js';

/** Asking the peers takes up to their time-out: done in the background, no more often than this. */
const PAIR_REFRESH_MS = 5_000;

export interface StatusSource {
  /** The document as of now (the pair as of its last look, at most PAIR_REFRESH_MS old). */
  document(): StatusDocument;
  stop(): void;
}

/**
 * qkmd's status document, drawn from its own parts: the hardware agent, the keystore it
 * serves (unless the console has borrowed it), the pair link's view of the peers, and the
 * software slots. The control socket's `status` and the status page both read it here.
 */
export function statusSource(ctx: Context, hardware: HardwareHost, keystore: ServedKeystore): StatusSource {
  let peers: PeerStatus[] = [];
  let asking = false;
  const askPeers = async () => {
    if (ctx.config.pair.role === 'standalone' || asking || keystore.isLent) return;
    asking = true;
    try {
      peers = await pairStatus(pairSide(ctx), peerAddresses(ctx.config), keystore.engine.journal);
    } catch (e) {
      ctx.log.warn({ err: e }, 'the status page could not ask the peers how they stand');
    } finally {
      asking = false;
    }
  };
  void askPeers();
  const timer = setInterval(() => void askPeers(), PAIR_REFRESH_MS).unref();
  const dataDir = ctx.config.paths.data_dir;
  return {
    document() {
      const engine = keystore.isLent ? null : keystore.engine;
      return statusDocument({
        now: ctx.world.now(),
        server: { serial: ctx.serial, hostname: ctx.config.server.hostname, version: VERSION, profile: hardware.profile },
        hw: hwStatus(hardware, keystore.isLent ? { open: () => false, close: () => false, list: () => [] } : keystore.tickets),
        openTickets: engine ? engine.tickets.list({ openOnly: true }) : [],
        ticketText: terminalTicketText,
        keys: engine ? { libraries: engine.status(), backup: engine.backupState() } : null,
        depletionPercent: ctx.config.keys.depletion_percent,
        pair: { role: ctx.config.pair.role, peers },
        software: softwareStatus({ dataDir, baseDir: PACKAGE_ROOT }),
      });
    },
    stop: () => clearInterval(timer),
  };
}
