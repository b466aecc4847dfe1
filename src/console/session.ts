import type { OpenEngine } from '../admin/engine-session.js';
import { claimConsole } from '../admin/console-lock.js';
import { CONSOLE_USER, isDefaultPassword, loginDelayMs, loginFailures, passwordMatches, recordLogin, setPassword } from '../admin/console-password.js';
import { acceptLicence, licenceAcceptedAt } from '../admin/eula.js';
import { keyService } from '../admin/key-service.js';
import { type SystemChange, applySystemChanges, systemBackend } from '../admin/system-settings.js';
import type { QkmConfig } from '../config/config.js';
import type { World } from '../engine/index.js';
import { QkmError, isQkmError } from '../errors.js';
import type { Logger } from '../logs/logger.js';
import type { AuditLog } from '../logs/audit.js';
import { auditConsole } from './console-audit.js';
import { LICENCE_TEXT } from './licence.js';
import type { LineInput } from './line-input.js';
import { type Staged, describeChange, menuLoop } from './menu.js';

/** What a console session works with; the front end (qkmcmds) builds it. */
export interface ConsoleScope {
  dataDir: string;
  config: QkmConfig;
  world: World;
  log: Logger;
  /** Every login, refusal and applied change goes here, as akmadmin's act. */
  audit: AuditLog;
  serial: () => string;
  openEngine: OpenEngine;
  input: LineInput;
  say: (line?: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** The terminal's one sentence for an error (undefined for a bug of ours). */
  sentence: (e: unknown) => string | undefined;
}

const LOGIN_TRIES = 3;


/** What each library must do once port 2's address changes, or it loses its key server. */
const NEW_ADDRESS_STEPS = [
  'Port 2 has a new address. Each tape library using this server must now learn it:',
  '  1. Let no tape be mounted in the drives of the library\'s encrypted partitions.',
  '  2. On the library\'s web client, switch those partitions from library-managed',
  '     to application-managed encryption.',
  '  3. In its encryption key server settings, replace this server\'s address',
  '     (primary or secondary: the one that was this server\'s).',
  '  4. Switch the partitions back to library-managed encryption.',
];
/** Lines of the licence on one page of a 24-line screen, leaving room for the prompt. */
const PAGE_LINES = 20;

/**
 * `qkmcmds` with no subcommand: log in, accept the licence (first run), stop the key
 * service, the set-up wizard (first run), the menu. Changes are staged in memory only:
 * `q` applies them; a session ending any other way applies nothing. The key service is
 * started again however the session ends, short of SIGKILL.
 */
export async function runConsole(s: ConsoleScope): Promise<number> {
  const release = claimConsole(s.dataDir);
  try {
    await logIn(s);
    const firstRun = licenceAcceptedAt(s.dataDir) === undefined;
    if (firstRun) await showLicence(s, true);
    s.say('Administration stops the key server: tape libraries get no keys until you leave with q.');
    if (!/^y(es)?$/i.test(await s.input.ask('Go on? [y/N] '))) {
      s.say('Nothing was changed; the key server keeps running.');
      return 0;
    }
    const stopped = await stopKeyService(s);
    const staged: Staged = { system: new Map() };
    try {
      const outcome = await menuLoop(s, staged, firstRun);
      if (outcome === 'apply') await applyStaged(s, staged);
      else {
        auditConsole(s, 'left without applying', 'done', { staged: stagedNames(staged) });
        s.say('Left without applying anything.');
      }
    } catch (e) {
      // A session ended by EOF, a closed terminal or a signal applies nothing: that is recorded too.
      if (isQkmError(e) && e.code === 'CONSOLE_ENDED') auditConsole(s, 'ended without applying', 'done', { staged: stagedNames(staged) });
      throw e;
    } finally {
      if (stopped) await startKeyService(s);
    }
    return 0;
  } finally {
    release();
  }
}

/** The password, with a growing wait after each wrong one (kept across sessions), each try audited. */
async function logIn(s: ConsoleScope): Promise<void> {
  for (let attempt = 1; attempt <= LOGIN_TRIES; attempt++) {
    const wait = loginDelayMs(loginFailures(s.dataDir));
    if (wait > 0) {
      s.say(`Wait ${wait / 1000} s: the last passwords were wrong.`);
      await s.sleep(wait);
    }
    const typed = await s.input.askHidden(`Password for ${CONSOLE_USER}: `);
    const ok = await passwordMatches(s.dataDir, typed);
    const failures = recordLogin(s.dataDir, ok);
    s.log.info({ user: CONSOLE_USER, ok, failures }, ok ? 'console login' : 'console login refused: wrong password');
    auditConsole(s, 'login', ok ? 'done' : 'refused', ok ? { attempt } : { attempt, reason: 'wrong password', failuresInARow: failures });
    if (ok) {
      if (isDefaultPassword(s.dataDir)) s.say('You are using the default password: change it now (menu item 2).');
      return;
    }
    s.say('Wrong password.');
  }
  throw new QkmError('CONSOLE_LOGIN_FAILED', `${LOGIN_TRIES} wrong passwords; nothing was changed. A forgotten password cannot be recovered.`, { params: { attempts: LOGIN_TRIES } });
}

/** The licence page by page (Enter: one more line; end: the next page); on first run, accepted with y. */
export async function showLicence(s: ConsoleScope, mustAccept: boolean): Promise<void> {
  const lines = LICENCE_TEXT.split('\n');
  let shown = 0;
  const show = (n: number) => {
    for (const line of lines.slice(shown, shown + n)) s.say(line);
    shown = Math.min(lines.length, shown + n);
  };
  show(PAGE_LINES);
  while (shown < lines.length) {
    const answer = await s.input.ask('-- Enter: one more line, end: the next page -- ');
    show(answer.toLowerCase() === 'end' ? PAGE_LINES : 1);
  }
  if (!mustAccept) return;
  if (!/^y(es)?$/i.test(await s.input.ask('Do you accept the licence? [y/N] '))) {
    throw new QkmError('EULA_DECLINED', 'The licence was not accepted, so the console cannot be used; nothing was changed.');
  }
  const at = acceptLicence(s.dataDir, s.world);
  s.log.info({ at }, 'licence accepted');
  auditConsole(s, 'licence accepted', 'done', { at });
  s.say(`Licence accepted on ${at}.`);
}

/** What was staged, by setting name (never the password itself). */
function stagedNames(staged: Staged): string[] {
  return [...(staged.password !== undefined ? ['password'] : []), ...staged.system.keys()];
}

/** True when this session stopped it (and so must start it again). */
async function stopKeyService(s: ConsoleScope): Promise<boolean> {
  try {
    await keyService(s.dataDir, 'stop');
    s.say('The key service is stopped (the hardware agent keeps running).');
    return true;
  } catch (e) {
    if (isQkmError(e) && e.code === 'QKMD_NOT_RUNNING') {
      s.say('qkmd is not running, so no library is being served.');
      return false;
    }
    throw e;
  }
}

async function startKeyService(s: ConsoleScope): Promise<void> {
  try {
    await keyService(s.dataDir, 'start');
    s.say('The key service is running again.');
  } catch (e) {
    s.log.error({ err: e }, 'the key service could not be started again');
    s.say(`The key service could not be started again: ${s.sentence(e) ?? (e as Error).message}`);
  }
}

async function applyStaged(s: ConsoleScope, staged: Staged): Promise<void> {
  const changes: SystemChange[] = [...staged.system.values()];
  if (staged.password === undefined && changes.length === 0) {
    s.say('No changes to apply.');
    return;
  }
  const backend = systemBackend(s.dataDir, s.config);
  await applySystemChanges(s.dataDir, s.config, backend, changes);
  for (const c of changes) {
    s.log.info({ setting: c.setting, value: c.value, backend: backend.kind }, 'system setting changed');
    auditConsole(s, 'system setting changed', 'done', { setting: c.setting, value: c.value, backend: backend.kind });
    s.say(`Applied: ${describeChange(c)}${backend.kind === 'dry-run' ? ' (dry run: recorded, the host is not changed)' : ''}.`);
  }
  // Last: the host's settings are what may fail, and a failure leaves the old password working.
  if (staged.password !== undefined) {
    await setPassword(s.dataDir, staged.password, s.world);
    s.log.info({ user: CONSOLE_USER }, 'console password changed');
    auditConsole(s, 'password changed', 'done');
    s.say(`The password of ${CONSOLE_USER} is changed.`);
  }
  if (staged.system.has('port2')) for (const line of NEW_ADDRESS_STEPS) s.say(line);
}
