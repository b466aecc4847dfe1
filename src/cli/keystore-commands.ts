import type { Command } from 'commander';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { backUp } from '../admin/backup.js';
import { checkKeys } from '../admin/check.js';
import { assertQkmdStopped, claimDataDir } from '../admin/data-dir-lock.js';
import { withEngine } from '../admin/engine-session.js';
import { generateKeys, keyStatus } from '../admin/keys.js';
import { listKeptKeystores, removeKeptKeystore } from '../admin/keystores.js';
import { restoreKeystore } from '../admin/restore.js';
import { syncLibrary } from '../admin/sync.js';
import { listTickets } from '../admin/tickets.js';
import { LIBRARY_CLASSES, type LibraryClass, olderText } from '../engine/index.js';
import { QkmError } from '../errors.js';
import { noteAudit } from './audited-command.js';
import { engineOf, pairSide } from './command-engine.js';
import type { Context } from './context.js';
import type { HwCommandDeps } from './hw-commands.js';
import { progressBar } from './progress.js';
import { askBackupSecret } from './secret-input.js';
import { formatTable } from './table.js';
import { terminalTicket } from './words.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

export interface KeystoreCommandDeps extends HwCommandDeps {
  /** `createDataDir`: only a restore may make a data directory; every other command needs one. */
  context: (o?: { createDataDir?: boolean }) => Context;
}

/**
 * The keystore's own commands: `keys generate|status`, `tickets`, `backup`, `restore`,
 * `keystores`, `sync` and `check`.
 */
export function addKeystoreCommands(program: Command, deps: KeystoreCommandDeps): void {
  const engine = engineOf(deps.context);

  const keys = program.command('keys').description('key sets of the tape libraries');

  keys
    .command('generate')
    .description('generate a set of keys for a library, if its unused keys are insufficient')
    .requiredOption('--library <name>', 'the tape library (its certificate name)')
    .requiredOption('--class <class>', `library class: ${LIBRARY_CLASSES.join(' or ')}`)
    .action(deps.action(async (o: { library: string; class: LibraryClass }) => {
      const bar = progressBar(`generating ${o.library}`);
      const r = await generateKeys(engine, { library: o.library, cls: o.class, onProgress: bar.update, peerWaitMs: deps.context().config.pair.generation_timeout_seconds * 1000 });
      bar.stop();
      noteAudit(r.generated ? { generated: r.count, class: r.class, firstKey: r.firstKey, lastKey: r.lastKey } : { generated: 0, unused: r.unused });
      if (!r.generated) {
        out(`Library ${r.library} has enough unused keys (${r.unused}; a new set is generated below ${r.needed}); no keys generated.`);
        return;
      }
      out(`Generated ${r.count} keys for library ${r.library} (${r.class}): ${r.firstKey} .. ${r.lastKey}.`);
      if (r.backupFirst) out('Back up the keystore now (qkmcmds backup): these keys are not handed out until a backup holds them.');
    }));

  keys
    .command('status')
    .description('per library: keys total, used, pending backup, percent used')
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { json?: boolean }) => {
      const rows = await keyStatus(engine);
      if (o.json) return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return out('No key sets yet; generate one with: qkmcmds keys generate --library NAME --class i500|i2000');
      const table = [['LIBRARY', 'CLASS', 'TOTAL', 'USED', 'UNUSED', 'PENDING BACKUP', 'USED %', 'SYNC'],
        ...rows.map((r) => [r.library, r.class, r.total, r.used, r.unused, r.pendingBackup, r.percentUsed.toFixed(1), r.needsSync ? 'needed' : 'ok'].map(String))];
      for (const line of formatTable(table)) out(line);
    }));

  program
    .command('tickets')
    .description('RAS tickets (open ones; --all for history)')
    .option('--all', 'include closed tickets')
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { all?: boolean; json?: boolean }) => {
      const list = (await listTickets(engine, { all: o.all === true })).map(terminalTicket);
      if (o.json) return out(JSON.stringify(list, null, 2));
      if (list.length === 0) return out(o.all ? 'No tickets.' : 'No open tickets.');
      for (const t of list) {
        const when = new Date(t.openedAt).toISOString();
        out(`#${t.id} ${t.severity.toUpperCase()} ${t.open ? 'open' : `closed ${new Date(t.closedAt!).toISOString()}`} since ${when} [${t.condition}]`);
        out(`    ${t.text}`);
      }
    }));

  program
    .command('backup')
    .description('write QKMApp<SN><date><time>.tgz and QKMData<SN><date><time>.tgz')
    .option('--to <dir>', 'where to write the two files (default: <data_dir>/backups)')
    .action(deps.action(async (o: { to?: string }) => {
      const ctx = deps.context();
      const bar = progressBar('backing up');
      const { backupKeyId, ...r } = await backUp(engine, { dataDir: ctx.config.paths.data_dir, world: ctx.world, toDir: o.to, onProgress: bar.update });
      bar.stop();
      ctx.log.info({ backup: r, backupKey: backupKeyId }, 'backup taken');
      noteAudit({ keys: r.keys, appFile: r.appFile, dataFile: r.dataFile, backupKey: backupKeyId });
      out(`Backed up ${r.keys} keys (master key sealed to backup key ${backupKeyId}) to:`);
      out(`  ${r.appFile}`);
      out(`  ${r.dataFile}`);
      if (r.setsNowUsable > 0) out(`${r.setsNowUsable} new key set(s) may now be used.`);
      out('Copy both files off this server and keep them together.');
    }));

  program
    .command('restore')
    .description("replace the keystore with a backup (qkmd must be stopped); asks for the backup key's passphrase or shares")
    .argument('<app>', 'the QKMApp<SN><date><time>.tgz file')
    .argument('<data>', 'the QKMData<SN><date><time>.tgz file')
    .option('--allow-other-server', "restore another server's backup (when replacing that server)")
    .option('--yes', 'restore even a backup with fewer keys or fewer handed out than the keystore it replaces')
    .action(deps.action(async (app: string, data: string, o: { allowOtherServer?: boolean; yes?: boolean }) => {
      const ctx = deps.context({ createDataDir: true });
      const dataDir = ctx.config.paths.data_dir;
      const bar = progressBar('verifying');
      const { backupKey, ...r } = await restoreKeystore({
        dataDir, appFile: path.resolve(app), dataFile: path.resolve(data), serial: ctx.serial, world: ctx.world,
        allowOtherServer: o.allowOtherServer, onProgress: bar.update, unlock: askBackupSecret,
        hold: () => claimDataDir(dataDir, { program: ctx.program, task: 'restore' }, 'restore a backup'),
        assertNotInUse: () => assertQkmdStopped(dataDir, 'restore a backup'),
        confirmOlder: o.yes ? () => true : process.stdin.isTTY ? (c) => askYes(`${olderText(c)}. Restore it all the same? [y/N] `) : undefined,
      });
      bar.stop();
      ctx.log.info({ restore: r }, 'keystore restored');
      noteAudit({ keys: r.keys, backupSerial: r.backupSerial, backupCreatedAt: r.backupCreatedAt, keptAside: r.previous });
      out(`Restored ${r.keys} keys of server ${r.backupSerial} from the backup of ${r.backupCreatedAt}.`);
      if (r.previous) out(`The replaced keystore is kept in ${r.previous} (qkmcmds keystores lists the copies kept aside).`);
      if (backupKey === 'unsealed') {
        out('This backup was made before backups were sealed and holds its master key in clear: take a new backup now and destroy every copy of the old one.');
      } else if (backupKey === 'adopted') {
        out(`New backups will be sealed to the same backup key as this one (${r.sealedTo!.id}).`);
      }
      out(`Before new keys are handed out, synchronise each library (${r.libraries.join(', ') || 'none yet'}): qkmcmds sync --last-key NAME (or --none-used LIBRARY for one never handed a key)`);
    }));

  const keystores = program.command('keystores').description('the keystore copies restores kept aside');

  keystores
    .command('list', { isDefault: true })
    .description('list the kept-aside keystore copies: size, date, keys')
    .option('--json', 'machine-readable output')
    .action(deps.action((o: { json?: boolean }) => {
      const kept = listKeptKeystores(deps.context().config.paths.data_dir);
      if (o.json) return out(JSON.stringify(kept.map((k) => ({ ...k, modifiedAt: new Date(k.modifiedAt).toISOString() })), null, 2));
      if (kept.length === 0) return out('No keystore copies are kept aside.');
      const table = [['NAME', 'SIZE', 'LAST CHANGED', 'KEYS'],
        ...kept.map((k) => [k.name, `${(k.bytes / 1048576).toFixed(1)} MiB`, new Date(k.modifiedAt).toISOString().slice(0, 19).replace('T', ' '), k.keys === undefined ? 'unreadable' : String(k.keys)])];
      for (const line of formatTable(table)) out(line);
      out('Each holds its own master key and keys that may exist nowhere else; remove one with: qkmcmds keystores remove NAME');
    }));

  keystores
    .command('remove')
    .description('remove one kept-aside keystore copy (never the live keystore)')
    .argument('<name>', 'the copy, as "qkmcmds keystores" names it')
    .action(deps.action((name: string) => {
      const k = removeKeptKeystore(deps.context().config.paths.data_dir, name);
      out(`Removed the kept-aside keystore ${k.name} (${k.keys ?? 'unreadable'} keys).`);
    }));

  program
    .command('sync')
    .description("after a restore: make every key up to the last one a library used that library's again (readable, never handed out again)")
    .option('--last-key <name>', 'the name of the last key the library used')
    .option('--none-used <library>', 'for a library that has never been handed a key of this server')
    .option('--from-peer', "every library at once, from what the pair's other server holds of this server's keys")
    .action(deps.action(async (o: { lastKey?: string; noneUsed?: string; fromPeer?: boolean }) => {
      if ([o.lastKey, o.noneUsed, o.fromPeer].filter((x) => x !== undefined).length !== 1) {
        throw new QkmError('USAGE', 'Give one of --last-key NAME (the last key the library used), --none-used LIBRARY (a library never handed a key of this server) or --from-peer (all libraries, from the peer server).');
      }
      const ctx = deps.context();
      if (o.fromPeer) {
        // The pair's client and certificates (node-forge): only this way of syncing needs them.
        const [{ syncFromPeers }, { peerAddresses }] = await Promise.all([import('../pair/restore-sync.js'), import('../pair/settings.js')]);
        const release = claimDataDir(ctx.config.paths.data_dir, { program: ctx.program, task: 'sync' }, 'synchronise from the peer');
        try {
          const r = await withEngine(engine, (e) => syncFromPeers(pairSide(ctx), peerAddresses(ctx.config), e));
          ctx.log.info({ sync: r }, 'synchronised from the peer');
          noteAudit({ recovered: r.recovered, peers: r.peers });
          out(`Synchronised from ${r.peers.join(', ')}: ${r.recovered} key(s) handed out after the backup are marked used here again; every library may be given keys again.`);
          if (r.sets > 0) out(`${r.sets} key set(s) generated after the backup came back from the peer.`);
          if (r.unknown > 0) out(`${r.unknown} key(s) the peer holds as handed out belong to key sets neither server holds any more; they stay readable on the peer.`);
        } finally {
          release();
        }
        return;
      }
      const which = o.lastKey !== undefined ? { lastKey: o.lastKey } : { noneUsed: o.noneUsed! };
      const r = await syncLibrary(engine, {
        ...which,
        hold: () => claimDataDir(ctx.config.paths.data_dir, { program: ctx.program, task: 'sync' }, 'synchronise a library'),
      });
      noteAudit({ library: r.library, recovered: r.recovered });
      if ('noneUsed' in which) return out(`Library ${r.library} is synchronised: it was never handed a key of this server; new keys start with its first.`);
      out(`Library ${r.library} is synchronised: ${r.recovered} key(s) it was given after the backup, up to ${o.lastKey}, recovered as readable objects (their barcodes and key identifiers are unknown until the library sends them); new keys start after it.`);
    }));

  program
    .command('check')
    .description('the Config Test: verify every key record and the keystore')
    .action(deps.action(async () => {
      const bar = progressBar('checking');
      const r = await checkKeys(engine, { onProgress: bar.update });
      bar.stop();
      noteAudit({ keysChecked: r.keysChecked, problems: r.problems.length });
      if (r.problems.length === 0) {
        out(`Keystore OK: ${r.keysChecked} keys checked.`);
        return 0;
      }
      for (const p of r.problems) out(`BAD ${p.subject}: ${p.problem}`);
      out(`Keystore check FAILED: ${r.problems.length} problem(s) in ${r.keysChecked} keys; restore from the latest good backup (qkmcmds restore).`);
      return 1;
    }));
}

/** A yes/no question on the terminal (stderr, so stdout stays what scripts read). */
async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
