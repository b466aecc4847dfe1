/** The menu's software slots: an update from the CD (its image), and the rollback; the operations `update` and `rollback` call. */
import { UPDATE_REMINDER, type UpdateOptions, applyUpdate, checkUpdate, rollBack, softwareStatus, softwareStatusLines, withIsoImage } from '../admin/update.js';
import { PACKAGE_ROOT } from '../config/config.js';
import { auditConsole } from './console-audit.js';
import type { ConsoleScope } from './session.js';

const optionsOf = (s: ConsoleScope): UpdateOptions => ({ dataDir: s.dataDir, baseDir: PACKAGE_ROOT, publicKey: s.config.update.public_key, now: s.world.now });

function showStatus(s: ConsoleScope): void {
  for (const line of softwareStatusLines(softwareStatus(optionsOf(s)))) s.say(line);
}

export async function updateSoftware(s: ConsoleScope): Promise<void> {
  showStatus(s);
  const iso = await s.input.ask('The update CD image (.iso), Enter: back: ');
  if (iso === '') return;
  await withIsoImage(iso, async (source) => {
    const check = await checkUpdate(source, optionsOf(s));
    s.say(`The CD holds qkm ${check.manifest.version}, signed by the configured update key; this server runs qkm ${check.installed.version}.`);
    if (check.refusal) throw check.refusal;
    s.say(UPDATE_REMINDER);
    if (!/^y(es)?$/i.test(await s.input.ask(`Install qkm ${check.manifest.version} now? [y/N] `))) return s.say('Nothing was installed.');
    const r = await applyUpdate(source, optionsOf(s));
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
  const iso = await s.input.ask('The CD image (.iso) of the version running now, Enter: back: ');
  if (iso === '') return;
  s.say(UPDATE_REMINDER);
  if (!/^y(es)?$/i.test(await s.input.ask('Roll back now? [y/N] '))) return s.say('Nothing was changed.');
  const r = await withIsoImage(iso, (source) => rollBack(source, optionsOf(s)));
  s.log.info({ rollback: r }, 'rolled back');
  auditConsole(s, 'software rollback', 'done', { from: r.from, to: r.to });
  s.say(`Rolled back from qkm ${r.from} to qkm ${r.to}; ${r.restarted ? 'it is starting now' : 'it starts the next time qkm-launcher starts qkm'}.`);
}
