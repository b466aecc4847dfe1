/** The menu's server pair: how the pair stands, and the three pairing steps; the operations `pair ...` call. */
import { withEngine } from '../admin/engine-session.js';
import { pairSideOf } from '../admin/pair-side.js';
import { VERSION } from '../cli/context.js';
import { parsePeerAddress } from '../pair/link-client.js';
import { confirmPeer, joinPeer, pairCredentials, type PairSide } from '../pair/pairing.js';
import { peerAddresses } from '../pair/settings.js';
import { pairStatus, peerStatusLines } from '../pair/status.js';
import { auditConsole } from './console-audit.js';
import type { ConsoleScope } from './session.js';

export const pairSideOfConsole = (s: ConsoleScope): PairSide => pairSideOf({ dataDir: s.dataDir, serial: s.serial(), version: VERSION, now: () => s.world.now(), openEngine: s.openEngine });

export async function serverPair(s: ConsoleScope): Promise<void> {
  const side = pairSideOfConsole(s);
  const rows = await withEngine(s.openEngine, (e) => pairStatus(side, peerAddresses(s.config), e.journal));
  if (rows.length === 0) s.say('This server has no peer.');
  for (const line of rows.flatMap(peerStatusLines)) s.say(line);
  const step = (await s.input.ask('f: pair fingerprint, j: join a server, c: confirm one, Enter: back: ')).toLowerCase();
  if (step === 'f') {
    const creds = await pairCredentials(side);
    s.say(`Pair fingerprint of server ${side.serial}:`);
    s.say(`  ${creds.fingerprint}`);
    s.say(`Join this server from the other one, at this server's address, port ${s.config.pair.port}.`);
  } else if (step === 'j') {
    const address = parsePeerAddress(await s.input.ask('The other server\'s pair link (HOST:PORT): '));
    const fingerprint = await s.input.ask('Its pair fingerprint: ');
    const r = await joinPeer(side, { address, fingerprint });
    s.log.info({ peer: r.peer.serial, fingerprint: r.peer.fingerprint }, 'paired with a peer (it must confirm)');
    auditConsole(s, 'pair join', 'done', { peer: r.peer.serial, fingerprint: r.peer.fingerprint });
    s.say(`Server ${r.peer.serial} is now this server's peer; confirm this server there with the fingerprint`);
    s.say(`  ${r.fingerprint}`);
  } else if (step === 'c') {
    const peer = confirmPeer(side, await s.input.ask('The fingerprint the joining server showed: '));
    s.log.info({ peer: peer.serial, fingerprint: peer.fingerprint }, 'peer confirmed');
    auditConsole(s, 'pair confirm', 'done', { peer: peer.serial, fingerprint: peer.fingerprint });
    s.say(`Server ${peer.serial} is now this server's peer.`);
  } else if (step !== '') {
    s.say(`"${step}" is not one of f, j or c; nothing was done.`);
  }
}
