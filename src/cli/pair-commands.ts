import type { Command } from 'commander';
import { withEngine } from '../admin/engine-session.js';
import { parsePeerAddress } from '../pair/link-client.js';
import { confirmPeer, joinPeer, pairCredentials } from '../pair/pairing.js';
import { peerAddresses } from '../pair/settings.js';
import { pairStatus, peerStatusLines } from '../pair/status.js';
import { openEngine, pairSide } from './command-engine.js';
import type { HwCommandDeps } from './hw-commands.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** `qkmcmds pair ...`: making this server one of a pair, and how the pair stands. */
export function addPairCommands(program: Command, deps: HwCommandDeps): void {
  const pair = program.command('pair').description('the server pair: pairing with the other server, and its status');

  pair.command('init')
    .description("print this server's pair fingerprint, to give to the other server's join")
    .action(deps.action(async () => {
      const ctx = deps.context();
      const creds = await pairCredentials(pairSide(ctx));
      out(`Pair fingerprint of server ${ctx.serial}: ${creds.fingerprint}`);
      out(`On the other server run: qkmcmds pair join --peer <this server's address>:${ctx.config.pair.port} --fingerprint ${creds.fingerprint}`);
    }));

  pair.command('join')
    .description('pair with the server at --peer, whose fingerprint its "pair init" printed')
    .requiredOption('--peer <host:port>', "the other server's pair link")
    .requiredOption('--fingerprint <sha256>', 'the pair fingerprint the other server printed')
    .action(deps.action(async (o: { peer: string; fingerprint: string }) => {
      const ctx = deps.context();
      const address = parsePeerAddress(o.peer);
      const r = await joinPeer(pairSide(ctx), { address, fingerprint: o.fingerprint });
      ctx.log.info({ peer: r.peer.serial, fingerprint: r.peer.fingerprint, address: o.peer }, 'paired with a peer (it must confirm)');
      out(`Server ${r.peer.serial} at ${o.peer} is now this server's peer; it asked to confirm this server.`);
      out(`On server ${r.peer.serial} run: qkmcmds pair confirm --fingerprint ${r.fingerprint}`);
    }));

  pair.command('confirm')
    .description('accept the server that asked to pair, by the fingerprint its join printed')
    .requiredOption('--fingerprint <sha256>', 'the pair fingerprint the joining server printed')
    .action(deps.action((o: { fingerprint: string }) => {
      const ctx = deps.context();
      const peer = confirmPeer(pairSide(ctx), o.fingerprint);
      ctx.log.info({ peer: peer.serial, fingerprint: peer.fingerprint }, 'peer confirmed');
      out(`Server ${peer.serial} is now this server's peer.`);
    }));

  pair.command('status')
    .description('each peer: reachable, last contact, replication lag, software versions')
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { json?: boolean }) => {
      const ctx = deps.context();
      const rows = await withEngine(() => openEngine(ctx), (e) => pairStatus(pairSide(ctx), peerAddresses(ctx.config), e.journal));
      if (o.json) return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return out('This server has no peer; pair it with: qkmcmds pair init (here), then qkmcmds pair join on the other server.');
      for (const line of rows.flatMap(peerStatusLines)) out(line);
    }));
}
