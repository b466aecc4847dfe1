/** The menu's software slots: an update from the CD (in a drive, or its image), and the rollback; the operations `update` and `rollback` call. */
import { UPDATE_REMINDER, type UpdateOptions, applyUpdate, checkUpdate, rollBack, softwareStatus, softwareStatusLines, withIsoImage } from '../admin/update.js';
import { withUpdateDisc } from '../admin/update-disc.js';
import { PACKAGE_ROOT } from '../config/config.js';
import { QkmError } from '../errors.js';
import type { BundleSource } from '../update/bundle/index.js';
import { auditConsole } from './console-audit.js';
import type { ConsoleScope } from './session.js';

const optionsOf = (s: ConsoleScope): UpdateOptions => ({ dataDir: s.dataDir, baseDir: PACKAGE_ROOT, publicKey: s.config.update.public_key, now: s.world.now });

function showStatus(s: ConsoleScope): void {
  for (const line of softwareStatusLines(softwareStatus(optionsOf(s)))) s.say(line);
}

/** The CD to read, asked as `what`: `c` for the disc in a drive (qkmd reads it), or the path of its image; Enter: back. */
async function askSource(s: ConsoleScope, what: string): Promise<'cd' | string | null> {
  const answer = await s.input.ask(`${what} (c: in the drive, or its image's path), Enter: back: `);
  return answer === '' ? null : answer.toLowerCase() === 'c' ? 'cd' : answer;
}

/** Opens the CD or its image, as `update` does, runs `use`, and closes it again. */
async function withSource<T>(s: ConsoleScope, source: string, wanted: string, use: (b: BundleSource) => Promise<T>): Promise<T> {
  if (source !== 'cd') return withIsoImage(source, use);
  const prompt = { ask: (question: string) => s.input.ask(`${question} `), say: s.say };
  try {
    return await withUpdateDisc(s.dataDir, { wanted, prompt }, use);
  } catch (e) {
    if (e instanceof QkmError && e.code === 'QKMD_NOT_RUNNING') {
      throw new QkmError('QKMD_NOT_RUNNING', `qkmd is not running on ${s.dataDir}, and it is qkmd that reads the CD drive; start it (qkm-launcher), or give the path of the CD's image instead.`);
    }
    throw e;
  }
}

export async function updateSoftware(s: ConsoleScope): Promise<void> {
  showStatus(s);
  const source = await askSource(s, 'The update CD');
  if (source === null) return;
  await withSource(s, source, 'the update CD', async (bundle) => {
    const check = await checkUpdate(bundle, optionsOf(s));
    s.say(`The CD holds qkm ${check.manifest.version}, signed by the configured update key; this server runs qkm ${check.installed.version}.`);
    if (check.refusal) throw check.refusal;
    s.say(UPDATE_REMINDER);
    if (!/^y(es)?$/i.test(await s.input.ask(`Install qkm ${check.manifest.version} now? [y/N] `))) return s.say('Nothing was installed.');
    const r = await applyUpdate(bundle, optionsOf(s));
    s.log.info({ update: r }, 'update installed');
    auditConsole(s, 'software update', 'done', { version: r.version, slot: r.slot, from: r.from });
    s.say(`Installed qkm ${r.version} in slot ${r.slot}, on trial; qkm ${r.from} stays as the version to roll back to.`);
    s.say(r.restarted
      ? `qkm ${r.version} is starting now; if it does not run within ${s.config.update.trial_seconds} s, qkm ${r.from} starts again by itself.`
      : `qkm ${r.version} starts, on trial, the next time qkm-launcher starts qkm.`);
    s.say('Keep the CD: a rollback needs it.');
  });
}

export async function rollBackSoftware(s: ConsoleScope): Promise<void> {
  showStatus(s);
  const source = await askSource(s, "The running version's CD");
  if (source === null) return;
  s.say(UPDATE_REMINDER);
  if (!/^y(es)?$/i.test(await s.input.ask('Roll back now? [y/N] '))) return s.say('Nothing was changed.');
  const r = await withSource(s, source, 'the CD of the version installed now', (b) => rollBack(b, optionsOf(s)));
  s.log.info({ rollback: r }, 'rolled back');
  auditConsole(s, 'software rollback', 'done', { from: r.from, to: r.to });
  s.say(`Rolled back from qkm ${r.from} to qkm ${r.to}; ${r.restarted ? 'it is starting now' : 'it starts the next time qkm-launcher starts qkm'}.`);
}
