/**
 * `qkm-library`: the simulated tape library's command line. Every command reads the
 * library's configuration (--config), its certificate bundle and its state folder; errors
 * are one sentence on stderr (details in <state_dir>/logs/qkm-library.log), exit status 1.
 */
import { Command, CommanderError } from 'commander';
import { realWorld } from '../engine/index.js';
import { openLog } from '../logs/logger.js';
import { readBundle } from '../library/bundle.js';
import { loadLibraryConfig } from '../library/config.js';
import { type ServerDiagnosis, diagnose } from '../library/diagnose.js';
import { LibraryError } from '../library/errors.js';
import { describeServer } from '../library/kmip-connection.js';
import { type GenerationOutcome, SimulatedLibrary } from '../library/library.js';
import { runWorkload, verifyTapes } from '../library/workload.js';
import { type CommandContext, VERSION, runCommand } from './context.js';
import { progressBar } from './progress.js';
import { formatTable } from './table.js';

const PROGRAM = 'qkm-library';
const ref: { ctx?: CommandContext } = {};
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
/** Failures listed in full before the summary; the log keeps them all. */
const FAILURES_SHOWN = 10;

const program = new Command(PROGRAM)
  .description('A simulated Scalar i500/i2000 tape library that asks qkm key servers for its keys.')
  .version(VERSION, '-v, --version', 'print the qkm version')
  .option('--config <file>', "the library's configuration (TOML)")
  .showHelpAfterError(`(run ${PROGRAM} --help for the commands)`)
  .exitOverride();

/** The configuration and the state folder, with the log opened there. */
function loadConfig() {
  const file = program.opts<{ config?: string }>().config;
  if (file === undefined) throw new LibraryError('LIBRARY_CONFIG', "Give --config FILE, the library's configuration.", { params: { file: '' } });
  const config = loadLibraryConfig(file);
  const log = openLog(config.stateDir, PROGRAM);
  ref.ctx = { log, config: { paths: { data_dir: config.stateDir } } };
  return { config, log };
}

async function withLibrary<T>(body: (lib: SimulatedLibrary) => Promise<T>): Promise<T> {
  const { config, log } = loadConfig();
  const lib = await SimulatedLibrary.open(config, realWorld, log);
  try {
    return await body(lib);
  } finally {
    lib.close();
  }
}

function action<A extends unknown[]>(body: (...args: A) => Promise<number | void> | number | void) {
  return (...args: A) => runCommand(PROGRAM, ref, () => body(...args));
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new LibraryError('LIBRARY_DRIVES', `${name} must be a whole number from 1 to 1000000, not "${value}".`, { params: { value } });
  return n;
}

function listFailures(failures: string[]): void {
  for (const f of failures.slice(0, FAILURES_SHOWN)) out(`FAILED ${f}`);
  if (failures.length > FAILURES_SHOWN) out(`... and ${failures.length - FAILURES_SHOWN} more (all in the log)`);
  ref.ctx?.log.warn({ failures }, 'tapes failed');
}

function generationLine(o: GenerationOutcome): string {
  const where = `${o.server.role} ${o.server.host}:${o.server.port}`;
  if (!o.ok) return `${where}: FAILED, ${o.why}`;
  return o.generated ? `${where}: generated ${o.keys} keys` : `${where}: has enough unused keys (${o.keys}); none generated`;
}

program
  .command('enable')
  .description('enable library-managed encryption on a partition: every key server generates the library\'s keys if needed')
  .requiredOption('--partition <name>', 'the partition')
  .action(action(async (o: { partition: string }) => withLibrary(async (lib) => {
    const outcomes = await lib.enableEncryption(o.partition);
    for (const line of outcomes.map(generationLine)) out(line);
    if (outcomes.some((x) => !x.ok)) {
      throw new LibraryError('LIBRARY_GENERATION_FAILED', `Encryption stays off on partition ${o.partition}, because not every key server could generate the library's keys; start them and enable it again.`, { params: { partition: o.partition } });
    }
    out(`Library-managed encryption is on for partition ${o.partition}; back up both key servers' keystores before the new keys are used.`);
  })));

program
  .command('disable')
  .description('disable library-managed encryption on a partition (enable it again to ask for keys)')
  .requiredOption('--partition <name>', 'the partition')
  .action(action(async (o: { partition: string }) => withLibrary(async (lib) => {
    lib.disableEncryption(o.partition);
    out(`Library-managed encryption is off for partition ${o.partition}.`);
  })));

program
  .command('write')
  .description('write a tape in a drive: a new key from the key servers')
  .requiredOption('--barcode <label>', "the tape's barcode")
  .requiredOption('--drive <name>', 'the drive')
  .action(action(async (o: { barcode: string; drive: string }) => withLibrary(async (lib) => {
    const t = await lib.writeTape(o.drive, o.barcode);
    out(`Tape ${t.barcode} written with key ${t.keyName} from ${describeServer(t.server)}.`);
  })));

program
  .command('read')
  .description('read a tape: its key by name from the key servers')
  .requiredOption('--barcode <label>', "the tape's barcode")
  .option('--drive <name>', 'the drive (default: the first)')
  .action(action(async (o: { barcode: string; drive?: string }) => withLibrary(async (lib) => {
    const r = await lib.readTape(o.drive ?? lib.drives()[0]!, o.barcode);
    out(`Tape ${o.barcode} read with key ${r.tape.keyName} from ${describeServer(r.server)}.`);
  })));

program
  .command('run')
  .description('the workload: write N new tapes on D drives at once, then read them all back')
  .requiredOption('--tapes <n>', 'tapes to write')
  .requiredOption('--drives <n>', 'drives writing at once')
  .option('--no-read', 'write only')
  .option('--json', 'machine-readable output')
  .action(action(async (o: { tapes: string; drives: string; read: boolean; json?: boolean }) => {
    const tapes = positive('--tapes', o.tapes);
    const drives = positive('--drives', o.drives);
    return withLibrary(async (lib) => {
      const bar = progressBar(`${lib.name} ${o.read ? 'writing and reading' : 'writing'}`);
      const r = await runWorkload(lib, { tapes, drives, read: o.read, onProgress: bar.update });
      bar.stop();
      if (o.json) out(JSON.stringify(r));
      else {
        listFailures(r.failures);
        const servers = Object.entries(r.byServer).map(([role, n]) => `${n} from the ${role}`).join(', ');
        out(`Wrote ${r.written} of ${tapes} tapes on ${drives} drives in ${r.writeSeconds.toFixed(2)} s (${r.writesPerSecond.toFixed(0)} tapes/s; keys: ${servers || 'none'})${o.read ? `; read back ${r.read}` : ''}.`);
      }
      return r.failures.length > 0 ? 1 : 0;
    });
  }));

program
  .command('verify')
  .description('read back every tape the library has written')
  .option('--json', 'machine-readable output')
  .action(action(async (o: { json?: boolean }) => withLibrary(async (lib) => {
    const bar = progressBar(`${lib.name} reading`);
    const r = await verifyTapes(lib, bar.update);
    bar.stop();
    if (o.json) out(JSON.stringify(r));
    else {
      listFailures(r.failures);
      out(`Read back ${r.read} of ${r.read + r.failures.length} tapes.`);
    }
    return r.failures.length > 0 ? 1 : 0;
  })));

program
  .command('diagnose')
  .description('the path diagnostics: Ping, Path and Config tests of each key server')
  .option('--json', 'machine-readable output')
  .action(action(async (o: { json?: boolean }) => {
    const { config } = loadConfig();
    const creds = await readBundle(config.bundle);
    const results = await diagnose(config.servers, creds, config.timeoutMs);
    if (o.json) out(JSON.stringify(results));
    else printDiagnosis(results);
    return results.every((r) => r.tests.every((t) => t.passed === true)) ? 0 : 1;
  }));

function printDiagnosis(results: ServerDiagnosis[]): void {
  for (const r of results) {
    out(`${r.server.role} key server ${r.server.host}:${r.server.port}`);
    for (const t of r.tests) {
      out(`  ${t.test.padEnd(6)}  ${t.passed === null ? 'not run' : t.passed ? 'pass' : 'FAIL'}  ${t.detail}`);
      if (t.advice) out(`          ${t.advice}`);
    }
  }
}

program
  .command('tickets')
  .description("the library's own RAS tickets (open ones; --all for the history)")
  .option('--all', 'closed tickets too')
  .option('--json', 'machine-readable output')
  .action(action(async (o: { all?: boolean; json?: boolean }) => withLibrary(async (lib) => {
    const list = lib.state.tickets(o.all === true);
    if (o.json) return out(JSON.stringify(list, null, 2));
    if (list.length === 0) return out(o.all ? 'No tickets.' : 'No open tickets.');
    const rows = list.map((t) => [String(t.id), t.condition, t.closedAt === null ? 'open' : 'closed', new Date(t.openedAt).toISOString(), t.text]);
    for (const line of formatTable([['id', 'condition', 'state', 'opened', 'text'], ...rows])) out(line);
  })));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : 70;
}
