import type { Command } from 'commander';
import { UPDATE_REMINDER, type UpdateOptions, applyUpdate, checkUpdate, rollBack, softwareStatus, softwareStatusLines, withIsoImage } from '../admin/update.js';
import { type DiscPrompt, unknownDrive, withUpdateDisc } from '../admin/update-disc.js';
import { type Interface, createInterface } from 'node:readline';
import { parseDriveId } from '../hardware/update-drives.js';
import { PACKAGE_ROOT, type QkmConfig } from '../config/config.js';
import { peerAddresses } from '../pair/settings.js';
import { QkmError } from '../errors.js';
import type { BundleSource } from '../update/bundle/index.js';
import { askNow } from './audited-command.js';
import type { HwCommandDeps } from './hw-commands.js';
import { progressBar } from './progress.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** `qkmcmds update` and `qkmcmds rollback`, from an update CD or ISO image (the manual's chapter 10). */
export function addUpdateCommands(program: Command, deps: HwCommandDeps): void {
  const options = (bar?: ReturnType<typeof progressBar>): UpdateOptions => {
    const ctx = deps.context();
    return { dataDir: ctx.config.paths.data_dir, baseDir: PACKAGE_ROOT, publicKey: ctx.config.update.public_key, now: ctx.world.now, onProgress: bar?.update };
  };
  /** Opens the ISO image, or else the CD in a drive, runs `use`, and always closes it again. */
  async function withIso<T>(o: SourceOptions, use: (source: BundleSource) => Promise<T>, wanted = 'the update CD'): Promise<T> {
    checkSource(o);
    if (o.iso) return withIsoImage(o.iso, use);
    const dataDir = deps.context().config.paths.data_dir;
    const answers = new Answers();
    const prompt: DiscPrompt = {
      ask: (question) => {
        answers.open();
        askNow(question);
        return answers.next();
      },
      say: out,
    };
    try {
      return await askQkmd(dataDir, () => withUpdateDisc(dataDir, { wanted, chosen: o.drive, prompt }, use));
    } finally {
      answers.close();
    }
  }

  program
    .command('update')
    .description('install a software update from its ISO image into the inactive slot and start it on trial (--check: only verify)')
    .option('--check', 'verify the update and say whether it would be installed; nothing is changed')
    .option('--iso <file>', 'the update CD as an ISO image file (default: the CD in the drive)')
    .option('--drive <drive>', DRIVE_HELP)
    .option('--status', 'which version runs, which one a rollback returns to, and any failed trial')
    .action(deps.action(async (o: SourceOptions & { check?: boolean; status?: boolean }) => {
      const ctx = deps.context();
      checkSource(o);
      if (o.status) {
        for (const line of softwareStatusLines(softwareStatus({ dataDir: ctx.config.paths.data_dir, baseDir: PACKAGE_ROOT }))) out(line);
        return;
      }
      const bar = progressBar('verifying');
      if (o.check) {
        const r = await withIso(o, (s) => checkUpdate(s, options(bar))).finally(() => bar.stop());
        const m = r.manifest;
        const bytes = m.files.reduce((n, f) => n + f.size, 0);
        out(`Update on ${r.source}: qkm ${m.version}, signed by the configured update key on ${m.createdAt.slice(0, 10)}; updates ${m.updatesFrom} or later; reads keystore schema ${m.keystoreSchema.reads.join(' to ')} and leaves it at ${m.keystoreSchema.writes}; ${m.files.length} payload file(s), ${bytes} bytes.`);
        out(`Installed: qkm ${r.installed.version}, keystore schema ${r.installed.keystoreSchema}.`);
        ctx.log.info({ update: { source: r.source, version: m.version, refused: r.refusal?.code ?? null } }, 'update checked');
        if (r.refusal) throw r.refusal;
        out('It would be installed: the signature, and the size and sha256 of every payload file, are verified.');
        return;
      }
      out(UPDATE_REMINDER);
      const r = await withIso(o, (s) => applyUpdate(s, options(bar))).finally(() => bar.stop());
      ctx.log.info({ update: r }, 'update installed');
      out(`Installed qkm ${r.version} in slot ${r.slot}, on trial; qkm ${r.from} stays as the version to roll back to.`);
      out(r.restarted
        ? `qkm ${r.version} is starting now; if it is not running within ${ctx.config.update.trial_seconds} s, qkm ${r.from} is started again by itself. Check with: qkmcmds update --status`
        : `qkm ${r.version} starts, on trial, the next time qkm-launcher starts qkm (no launcher is running now).`);
      out('Keep the CD: a rollback needs it.');
      out(afterwards(ctx.config, 'update'));
    }));

  program
    .command('rollback')
    .description('go back to the previous software version; needs the CD (ISO image) of the version installed now')
    .option('--iso <file>', 'the CD of the version installed now, as an ISO image file (default: the CD in the drive)')
    .option('--drive <drive>', DRIVE_HELP)
    .action(deps.action(async (o: SourceOptions) => {
      const ctx = deps.context();
      checkSource(o);
      out(UPDATE_REMINDER);
      const bar = progressBar('verifying');
      const r = await withIso(o, (s) => rollBack(s, options(bar)), 'the CD of the version installed now').finally(() => bar.stop());
      ctx.log.info({ rollback: r }, 'rolled back');
      out(`Rolled back from qkm ${r.from} to qkm ${r.to}.`);
      out(r.restarted ? `qkm ${r.to} is starting now. Check with: qkmcmds update --status` : `qkm ${r.to} starts the next time qkm-launcher starts qkm (no launcher is running now).`);
      out(afterwards(ctx.config, 'roll back'));
    }));
}

interface SourceOptions {
  iso?: string;
  drive?: string;
}

const DRIVE_HELP = 'the drive to read: builtin, or usb:PORT for a CD/DVD drive on a USB port (default: the one holding a disc)';

/** Options that cannot be right whatever the box has, refused before anything is said or read. */
function checkSource(o: SourceOptions): void {
  if (o.iso !== undefined && o.drive !== undefined) throw new QkmError('USAGE', 'Give either --iso FILE or --drive, not both.');
  if (o.drive !== undefined && !parseDriveId(o.drive)) throw unknownDrive(o.drive, []);
}

/** What the user answers, a line at a time from standard input (terminal or not); null at its end. */
class Answers {
  private rl: Interface | undefined;
  private lines: AsyncIterator<string> | undefined;

  /** Starts listening before a question is printed, so an answer typed at once is not lost. */
  open(): AsyncIterator<string> {
    this.rl ??= createInterface({ input: process.stdin, terminal: false });
    this.lines ??= this.rl[Symbol.asyncIterator]();
    return this.lines;
  }

  async next(): Promise<string | null> {
    const a = await this.open().next();
    return a.done ? null : a.value.trim();
  }

  close(): void {
    this.rl?.close();
  }
}

/** A request to the qkmd that reads the drives; one that is not running is told to start it or to give an image. */
async function askQkmd<T>(dataDir: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (e) {
    if (e instanceof QkmError && e.code === 'QKMD_NOT_RUNNING') {
      throw new QkmError('QKMD_NOT_RUNNING', `qkmd is not running on ${dataDir}, and it is qkmd that reads the CD drive; start it (qkm-launcher, or npm start), or give the CD as an image with --iso FILE.`);
    }
    throw e;
  }
}

/** The manual's last steps: the other server of a pair too (they do not check each other's version), then the partitions back online. */
function afterwards(config: QkmConfig, verb: 'update' | 'roll back'): string {
  const peers = peerAddresses(config).map((p) => `${p.host}:${p.port}`);
  const other = config.pair.role === 'standalone'
    ? ''
    : `This server is the ${config.pair.role} of a pair: ${verb} the other server${peers.length > 0 ? ` (${peers.join(', ')})` : ''} the same way with the same CD, then `;
  return `${other || 'Then '}bring the QKM partitions of the libraries using this server back online.`;
}
