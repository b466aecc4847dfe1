import path from 'node:path';
import { backUp } from '../admin/backup.js';
import { revokeLibraryCertificates } from '../admin/certs.js';
import { CONSOLE_USER, checkNewPassword, passwordMatches } from '../admin/console-password.js';
import { assertQkmdStopped, claimDataDir } from '../admin/data-dir-lock.js';
import { borrowKeystore, returnKeystore } from '../admin/key-service.js';
import { listKeptKeystores } from '../admin/keystores.js';
import { restoreKeystore } from '../admin/restore.js';
import { type SystemChange, type SystemRecord, checkDateTime, checkHostname, checkPort2, checkTimeZone, readSystemRecord } from '../admin/system-settings.js';
import { olderText } from '../engine/index.js';
import { QkmError } from '../errors.js';
import { askBackupSecret } from '../cli/secret-input.js';
import { VERSION } from '../cli/context.js';
import { describeCapture } from '../cli/log-commands.js';
import { captureApplianceLogs } from '../admin/log-capture.js';
import { auditConsole } from './console-audit.js';
import { encryptionCertificates, shareTapes } from './exchange-items.js';
import { serverPair } from './pair-items.js';
import type { ConsoleScope } from './session.js';
import { rollBackSoftware, updateSoftware } from './software-items.js';

/** What `q` applies: nothing is changed before it. */
export interface Staged {
  password?: string;
  system: Map<SystemChange['setting'], SystemChange>;
}

interface Item {
  key: string;
  label: string;
  run: (s: ConsoleScope, staged: Staged) => Promise<void>;
}

const ITEMS: Item[] = [
  { key: '1', label: 'Set-up wizard (password, time zone, date and time, port 2)', run: wizard },
  { key: '2', label: 'Change password', run: changePassword },
  { key: '3', label: 'Set IP address of port 2 (netmask, gateway)', run: setPort2 },
  { key: '4', label: 'Time zone', run: setTimeZone },
  { key: '5', label: 'Date and time', run: setDateTime },
  { key: '6', label: 'Host name', run: setHostname },
  { key: '7', label: 'Back up keystore', run: backUpKeystore },
  { key: '8', label: 'Restore keystore', run: restore },
  { key: '9', label: 'Capture logs', run: captureLogsItem },
  { key: 'c', label: 'Revoke a library certificate', run: revokeCertificate },
  { key: 'k', label: 'Keystore copies kept aside by restores', run: keptKeystores },
  { key: 'p', label: 'Server pair: status and pairing', run: serverPair },
  { key: 'u', label: 'Update software (from the CD or its image)', run: updateSoftware },
  { key: 'r', label: 'Roll back software', run: rollBackSoftware },
  { key: 'e', label: "Encryption certificates: export this server's, import a partner's", run: encryptionCertificates },
  { key: 't', label: "Share tapes: export keys for a partner, import a partner's", run: shareTapes },
];

/** The menu until `q` (apply) or `x` (leave); a failing item says its sentence and the menu comes back. */
export async function menuLoop(s: ConsoleScope, staged: Staged, firstRun: boolean): Promise<'apply' | 'leave'> {
  if (firstRun) await attempt(s, 'set-up wizard', () => wizard(s, staged));
  for (;;) {
    showMenu(s, staged);
    const choice = (await s.input.ask('Choice: ')).toLowerCase();
    if (choice === 'q') return 'apply';
    if (choice === 'x') return 'leave';
    const item = ITEMS.find((i) => i.key === choice);
    if (!item) {
      auditConsole(s, 'menu', 'refused', { reason: 'not on the menu', characters: choice.length });
      s.say(`"${choice}" is not on the menu; type one of ${ITEMS.map((i) => i.key).join(', ')}, q or x.`);
      continue;
    }
    await attempt(s, item.label.toLowerCase(), () => item.run(s, staged));
  }
}

function showMenu(s: ConsoleScope, staged: Staged): void {
  s.say();
  s.say(`qkm administration, server ${s.serial()}`);
  for (const i of ITEMS) s.say(`  ${i.key}  ${i.label}`);
  s.say('  q  Apply the changes, start the key service again and quit');
  s.say('  x  Quit without applying the changes');
  const pending = [...(staged.password !== undefined ? ['password'] : []), ...[...staged.system.values()].map(describeChange)];
  s.say(pending.length === 0 ? 'No changes staged.' : `Staged (applied at q): ${pending.join('; ')}`);
}

/** Runs a menu item; a refusal (bad input, a wrong password) is its sentence, recorded in the audit log. */
async function attempt(s: ConsoleScope, name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const sentence = s.sentence(e);
    if (sentence === undefined || (e as QkmError).code === 'CONSOLE_ENDED') throw e;
    s.log.warn({ err: e }, 'console item refused');
    if ((e as QkmError).code !== 'AUDIT_WRITE') auditConsole(s, name, 'refused', { error: (e as QkmError).code });
    s.say(sentence);
  }
}

async function wizard(s: ConsoleScope, staged: Staged): Promise<void> {
  s.say('Set-up wizard: Enter keeps the value in brackets.');
  await changePassword(s, staged, true);
  await setTimeZone(s, staged);
  await setDateTime(s, staged);
  await setPort2(s, staged);
}

async function changePassword(s: ConsoleScope, staged: Staged, optional = false): Promise<void> {
  s.say('A forgotten password cannot be recovered: keep it where you keep the recovery shares.');
  const now = await s.input.askHidden(optional ? 'Current password (Enter keeps it): ' : 'Current password: ');
  if (now === '' && optional) return;
  if (!(await passwordMatches(s.dataDir, now))) {
    s.log.info({ user: CONSOLE_USER }, 'password change refused: wrong current password');
    throw new QkmError('CONSOLE_PASSWORD_WRONG', 'That is not the current password; the password is unchanged.');
  }
  const typed = await s.input.askHidden('New password: ');
  checkNewPassword(typed);
  if ((await s.input.askHidden('The same password again: ')) !== typed) {
    throw new QkmError('CONSOLE_PASSWORD_MISMATCH', 'The two passwords typed differ; the password is unchanged.');
  }
  staged.password = typed;
  s.say('The new password is staged; q applies it.');
}

/** The value staged for a setting, or else the one the appliance has. */
function current<K extends keyof SystemRecord>(s: ConsoleScope, staged: Staged, setting: K): SystemRecord[K] {
  const change = staged.system.get(setting);
  return change ? (change.value as SystemRecord[K]) : readSystemRecord(s.dataDir, s.config)[setting];
}

function stage(s: ConsoleScope, staged: Staged, change: SystemChange): void {
  staged.system.set(change.setting, change);
  s.say(`Staged: ${describeChange(change)}; q applies it.`);
}

async function setPort2(s: ConsoleScope, staged: Staged): Promise<void> {
  const was = current(s, staged, 'port2');
  const address = await s.input.ask('Port 2 IP address: ', was.address);
  const netmask = await s.input.ask('Netmask: ', was.netmask);
  const gateway = await s.input.ask('Gateway: ', was.gateway);
  const value = checkPort2({ address, netmask, gateway });
  if (JSON.stringify(value) !== JSON.stringify(was)) stage(s, staged, { setting: 'port2', value });
}

async function setTimeZone(s: ConsoleScope, staged: Staged): Promise<void> {
  const was = current(s, staged, 'timeZone');
  const zone = checkTimeZone(await s.input.ask('Time zone: ', was));
  if (zone !== was) stage(s, staged, { setting: 'timeZone', value: zone });
}

async function setDateTime(s: ConsoleScope, staged: Staged): Promise<void> {
  const typed = await s.input.ask('Date and time (YYYY-MM-DD HH:MM, Enter keeps the clock): ');
  if (typed === '') return;
  stage(s, staged, { setting: 'dateTime', value: checkDateTime(typed) });
}

async function setHostname(s: ConsoleScope, staged: Staged): Promise<void> {
  const was = current(s, staged, 'hostname');
  const name = checkHostname(await s.input.ask('Host name: ', was));
  if (name !== was) stage(s, staged, { setting: 'hostname', value: name });
}

async function backUpKeystore(s: ConsoleScope): Promise<void> {
  const to = await s.input.ask('Folder for the backup files: ', path.join(s.dataDir, 'backups'));
  const r = await backUp(s.openEngine, { dataDir: s.dataDir, world: s.world, toDir: to });
  s.log.info({ backup: { appFile: r.appFile, dataFile: r.dataFile, keys: r.keys }, backupKey: r.backupKeyId }, 'backup taken');
  auditConsole(s, 'backup', 'done', { keys: r.keys, appFile: r.appFile, dataFile: r.dataFile, backupKey: r.backupKeyId });
  s.say(`Backed up ${r.keys} keys (sealed to backup key ${r.backupKeyId}) to:`);
  s.say(`  ${r.appFile}`);
  s.say(`  ${r.dataFile}`);
  s.say('Copy both files off this server and keep them together.');
}

async function restore(s: ConsoleScope): Promise<void> {
  const appFile = path.resolve(await s.input.ask('The QKMApp file: '));
  const dataFile = path.resolve(await s.input.ask('The QKMData file: '));
  // A running qkmd (its key service stopped) lets go of the keystore for the restore, and opens the restored one after.
  const borrowed = await borrowKeystore(s.dataDir);
  let r: Awaited<ReturnType<typeof restoreKeystore>>;
  try {
    r = await restoreKeystore({
      dataDir: s.dataDir, appFile, dataFile, serial: s.serial(), world: s.world,
      unlock: (key) => s.input.lend(() => askBackupSecret(key)),
      hold: () => claimDataDir(s.dataDir, { program: 'qkmcmds', task: 'restore' }, 'restore a backup'),
      assertNotInUse: () => assertQkmdStopped(s.dataDir, 'restore a backup'),
      confirmOlder: async (c) => /^y(es)?$/i.test(await s.input.ask(`${olderText(c)}. Restore it all the same? [y/N] `)),
    });
  } finally {
    if (borrowed) await returnKeystore(s.dataDir);
  }
  s.log.info({ restore: { keys: r.keys, backupSerial: r.backupSerial, backupCreatedAt: r.backupCreatedAt } }, 'keystore restored');
  auditConsole(s, 'restore', 'done', { keys: r.keys, backupSerial: r.backupSerial, backupCreatedAt: r.backupCreatedAt, keptAside: r.previous });
  s.say(`Restored ${r.keys} keys of server ${r.backupSerial} from the backup of ${r.backupCreatedAt}.`);
  if (r.previous) s.say(`The replaced keystore is kept aside in ${r.previous} (menu item k).`);
  s.say(`Synchronise each library (${r.libraries.join(', ') || 'none yet'}) before new keys go out.`);
}

async function captureLogsItem(s: ConsoleScope): Promise<void> {
  const r = await captureApplianceLogs({ config: s.config, world: s.world, serial: s.serial(), version: VERSION, openEngine: s.openEngine });
  auditConsole(s, 'capture logs', 'done', { file: r.file, files: r.entries.length, missing: r.problems.map((p) => p.path) });
  for (const line of describeCapture(r)) s.say(line);
}

async function revokeCertificate(s: ConsoleScope): Promise<void> {
  const which = await s.input.ask('Serial of the certificate, or library:NAME for all of a library\'s: ');
  const target = which.startsWith('library:') ? { library: which.slice('library:'.length) } : { serial: which };
  const r = revokeLibraryCertificates({ dataDir: s.dataDir, now: new Date(s.world.now()), log: s.log }, target);
  auditConsole(s, 'certificate revoked', 'done', { revoked: r.revoked.map((c) => c.serial), already: r.already.map((c) => c.serial) });
  for (const c of r.revoked) s.say(`Revoked certificate ${c.serial}${c.library ? ` of library ${c.library}` : ''}; the key server refuses it from its next connection.`);
  for (const c of r.already) s.say(`Certificate ${c.serial} was already revoked.`);
}

async function keptKeystores(s: ConsoleScope): Promise<void> {
  const kept = listKeptKeystores(s.dataDir);
  if (kept.length === 0) return s.say('No keystore copies are kept aside.');
  for (const k of kept) s.say(`  ${k.name}  ${(k.bytes / 1048576).toFixed(1)} MiB  ${new Date(k.modifiedAt).toISOString().slice(0, 16)}  ${k.keys ?? 'unreadable'} keys`);
}

/** A change as the menu and its confirmation name it. */
export function describeChange(c: SystemChange): string {
  switch (c.setting) {
    case 'port2':
      return `port 2 ${c.value.address} netmask ${c.value.netmask} gateway ${c.value.gateway}`;
    case 'hostname':
      return `host name ${c.value}`;
    case 'timeZone':
      return `time zone ${c.value}`;
    case 'dateTime':
      return `date and time ${c.value}`;
  }
}
