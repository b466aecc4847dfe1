import path from 'node:path';
import { Command } from 'commander';
import { startHardware } from '../hardware/start.js';
import { hardwareHandler } from '../control/handlers.js';
import { clearDiscCopies } from '../hardware/update-drives.js';
import { withKeyService } from '../control/key-service-handler.js';
import { fittingSocketPath } from '../control/protocol.js';
import { startControlServer } from '../control/server.js';
import { GroupCommit, cleanLeftovers, ManagedObjects, realWorld } from '../engine/index.js';
import { KmipRequestHandler } from '../kmip/server-handler.js';
import { type Context, type GlobalOptions, VERSION, loadContext, runCommand } from './context.js';
import { type KeyService, startKeyService } from '../key-service/listener.js';
import { type KeystoreUsers, ServedKeystore, withKeystoreLending } from './served-keystore.js';
import { followTraceSetting } from '../logs/trace-setting.js';
import { raiseTrialTicket } from './trial-ticket.js';
import { startPairLink } from './pair-link.js';
import { checkPairSettings } from '../pair/settings.js';
import { SerialConsoles, superviseSerialConsole, usbConsolePorts } from './serial-console-child.js';
import { withStatusDocument } from '../control/status-handler.js';
import { statusSource } from './status-source.js';
import { startStatusPage } from './status-page.js';
import { withMetrics } from '../control/metrics-handler.js';
import { qkmdMetrics } from './qkmd-metrics.js';

const PROGRAM = 'qkmd';
const ref: { ctx?: Context } = {};

const program = new Command(PROGRAM)
  .description('The qkm appliance service: key engine (and, as they arrive, key server and hardware agent).')
  .version(VERSION, '-v, --version', 'print the qkm version')
  .option('--config <file>', 'a config file applied over the embedded config/qkm.toml')
  .option('--data-dir <dir>', 'the data directory (overrides [paths] data_dir)')
  .parse(process.argv);

await runCommand(PROGRAM, ref, async () => {
  // Handlers first: a SIGTERM that arrives while starting up still means a clean stop.
  let stopSignal: ((signal: string) => void) | undefined;
  const stopped = new Promise<string>((resolve) => (stopSignal = resolve));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopSignal!(signal));

  // Everything started is stopped in reverse order, on a signal or on a failed start-up
  // (a half-started qkmd must not linger holding its socket).
  const stops: (() => unknown)[] = [];
  try {
    const ctx = (ref.ctx = loadContext(PROGRAM, program.opts<GlobalOptions>(), realWorld, {
      createDataDir: true,
      check: (config) => {
        fittingSocketPath(config.paths.data_dir);
        checkPairSettings(config);
      },
    }));
    // Claims the data directory; the console may borrow the keystore for a restore (served-keystore.ts).
    const keystore = new ServedKeystore(ctx, () => {
      const cleaned = cleanLeftovers(ctx.config.paths.data_dir);
      if (cleaned.length > 0) ctx.log.info({ cleaned }, 'removed what killed backups and restores left');
    });
    stops.push(() => keystore.close());
    stops.push(followTraceSetting(ctx.config.paths.data_dir, ctx.log, ctx.config.log.level));
    const engine = keystore.engine;
    // The control socket also keeps Node alive until a signal comes (signal handlers do not).
    raiseTrialTicket(ctx, engine.tickets);
    const hardware = await startHardware(ctx.config, keystore.tickets, ctx.log);
    stops.push(() => hardware.stop());
    hardware.onStopRequest((why) => stopSignal!(why));
    const metrics = qkmdMetrics(ctx, keystore, hardware);
    let keyService: KeyService | undefined;
    // What works on the keystore, made again when a restore gives it back.
    let kmip: KmipRequestHandler;
    let commit: <T>(work: () => T) => Promise<T>;
    let pair: Awaited<ReturnType<typeof startPairLink>> | undefined;
    const users: KeystoreUsers = {
      open: async (e) => {
        kmip = new KmipRequestHandler({
          objects: new ManagedObjects(e),
          logger: ctx.log,
          server: { serverName: ctx.config.server.hostname, version: VERSION },
          peerCopyWaitMs: ctx.config.pair.generation_timeout_seconds * 1000,
          audit: (fields) => void ctx.audit.record(fields),
          observe: metrics.kmip,
        });
        // Changes from many connections that arrive together share one durable commit.
        const group = new GroupCommit(e.store.db);
        commit = (work) => group.run(work);
        if (keyService) pair = ctx.config.pair.role === 'standalone' ? undefined : await startPairLink(ctx, e, { trustPeerCas: (cas) => keyService?.server.trustAlso(cas) });
      },
      close: async () => {
        await pair?.stop();
        pair = undefined;
      },
    };
    await users.open(engine);
    const status = statusSource(ctx, hardware, keystore);
    stops.push(() => status.stop());
    const discCopies = path.join(ctx.config.paths.data_dir, 'update-disc');
    clearDiscCopies(discCopies);
    const served = withKeyService(hardwareHandler(hardware, keystore.tickets, { discCopies }), () => keyService?.server);
    const handler = withMetrics(withStatusDocument(served, () => status.document()), metrics.render);
    const control = await startControlServer(ctx.config.paths.data_dir, withKeystoreLending(handler, keystore, users, () => keyService?.server.paused === true), ctx.log);
    stops.push(() => control.close());
    const started = (keyService = await startKeyService(ctx, {
      frame: (conn, frame) => kmip.handleFrameCommitted(conn.identity, frame, commit),
      frames: (conn, frames) => kmip.handleFramesCommitted(conn.identity, frames, commit),
      oversize: async (_conn, oversize) => kmip.handleOversize(oversize),
      onRefusal: metrics.tlsRefusal,
    }));
    stops.push(() => started.stop());
    const web = ctx.config.web.enabled ? await startStatusPage(ctx, status, hardware, metrics) : 'off ([web] enabled = false)';
    if (typeof web !== 'string') stops.push(() => web.close());
    pair = ctx.config.pair.role === 'standalone' ? undefined : await startPairLink(ctx, engine, { trustPeerCas: (cas) => started.server.trustAlso(cas) });
    stops.push(() => pair?.stop());
    const consoles = new SerialConsoles((port) => superviseSerialConsole(program.opts<GlobalOptions>(), ctx.config.paths.data_dir, port, ctx.log));
    stops.push(() => consoles.stop());
    const consolePorts = ctx.config.serial.console_port ? [ctx.config.serial.console_port] : [];
    consoles.follow(consolePorts);
    // A USB-serial adapter plugged into the real box is a console line too (a simulated one has no line behind it).
    if (hardware.profile === 'appliance' && hardware.agent) {
      const root = ctx.config.hardware.root;
      const follow = (usb: Parameters<typeof usbConsolePorts>[0]) => consoles.follow([...consolePorts, ...usbConsolePorts(usb, root)]);
      follow(hardware.agent.snapshot().usb);
      hardware.agent.onPass(({ snapshot }) => follow(snapshot.usb));
    }
    const total = engine.status().reduce((n, s) => n + s.total, 0);
    ctx.log.info({ serial: ctx.serial, dataDir: ctx.config.paths.data_dir, sources: ctx.config.sources }, 'qkmd started');
    process.stdout.write(
      `qkmd ${VERSION}: server ${ctx.serial} (${ctx.config.server.hostname}), ${ctx.config.hardware.profile} hardware\n` +
      `data in ${ctx.config.paths.data_dir} (keystore: ${engine.store.dir}, ${total} keys)\n` +
      `hardware agent ${hardware.agent ? 'running' : 'not running'}; control socket ${control.path}\n` +
      `key server listening on ${started.host}:${started.port} (KMIP over TLS)\n` +
      (typeof web === 'string' ? `status page not started: ${web}\n` : `status page on https://${web.host}:${web.port}/\n`) +
      (pair ? `pair link (${ctx.config.pair.role}) listening on ${pair.host}:${pair.port}; pair fingerprint ${pair.fingerprint}\n` : '') +
      (ctx.config.serial.console_port ? `serial console on ${ctx.config.serial.console_port} at ${ctx.config.serial.console_baud} baud\n` : '') +
      `running; stop with Ctrl-C or SIGTERM\n`,
    );
    const signal = await stopped;
    ctx.log.info({ signal }, 'qkmd stopping');
    await stopAll(stops);
    process.stdout.write('qkmd stopped\n');
  } finally {
    await stopAll(stops);
  }
});

// A failed start ends here even if some part of qkmd, half started, would keep Node alive.
if (process.exitCode) process.exit();

async function stopAll(stops: (() => unknown)[]): Promise<void> {
  while (stops.length > 0) {
    try {
      await stops.pop()!();
    } catch (e) {
      ref.ctx?.log.error({ err: e }, 'stopping a part of qkmd failed');
    }
  }
}
