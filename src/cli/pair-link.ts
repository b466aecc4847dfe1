import { ensurePairCredentials, tlsPaths } from '../pki/index.js';
import { startPairServer, type PairServer } from '../pair/link-server.js';
import { PairRegistry } from '../pair/registry.js';
import { type Context, VERSION } from './context.js';
import { tlsDirOf } from './cert-commands.js';

/**
 * qkmd's side of the pair: its pair certificate (issued by the appliance CA on first
 * start as primary or secondary) and the pair link's listener on [pair] host and port.
 */
export async function startPairLink(ctx: Context): Promise<PairServer & { fingerprint: string }> {
  const creds = await ensurePairCredentials(tlsPaths(tlsDirOf(ctx)), { serial: ctx.serial, now: new Date(ctx.world.now()) });
  const server = await startPairServer({
    host: ctx.config.pair.host,
    port: ctx.config.pair.port,
    creds,
    registry: new PairRegistry(ctx.config.paths.data_dir),
    self: { serial: ctx.serial, version: VERSION, role: ctx.config.pair.role },
    log: ctx.log,
    now: () => ctx.world.now(),
  });
  ctx.log.info({ host: server.host, port: server.port, fingerprint: creds.fingerprint }, 'pair link listening');
  return { ...server, fingerprint: creds.fingerprint };
}
