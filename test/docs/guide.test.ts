/**
 * The user guide (docs/) cannot drift from the program: every `qkm-run` session in it is
 * run, chapter by chapter in a fresh folder, against real qkmd processes on simulated
 * hardware, and each command's exit status and shown output are checked; menu sessions
 * are typed into the console in tmux (the conventions are in guide-blocks.ts). The guide
 * speaks of an appliance: `/var/lib/qkm` for the data directory, `/home/akmadmin` for the
 * administrator's folder (with the checkout in `~/qkm`), `qkm1.example.net` and
 * `qkm2.example.net` for the two servers (KMIP on 6000, the pair link on 6100). Here they
 * are temporary folders and free loopback ports, swapped in for the commands and swapped
 * back in the output before it is compared.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/free-port.js';
import { launch, powerCut, until } from '../../harness/launcher.js';
import { startQkmdProcess } from '../../harness/qkmd.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { ensureServerCredentials } from '../../src/pki/index.js';
import { TEST_KEY_BITS } from '../helpers/tls-fixtures.js';
import { needsTool } from '../helpers/tools.js';
import { TmuxConsole } from '../helpers/tmux-console.js';
import { type Chapter, type CommandStep, fillIn, GAP, lineMatcher, matchOutput, type MenuStep, readGuide, type ServerName, squeeze, type Step, TYPED } from './guide-blocks.js';

const DOCS = path.join(PACKAGE_ROOT, 'docs');
const chapters = readGuide(DOCS);
const roots: string[] = [];
const tlsTemplates = new Map<ServerName, Promise<string>>();

/**
 * Each server's appliance CA and server certificates, made once for the whole guide with
 * test-sized RSA keys: qkmd takes them as a first start would have left them, and each
 * chapter still starts with a data directory of its own (an RSA-3072 CA would cost
 * seconds per chapter).
 */
function tlsTemplate(name: ServerName): Promise<string> {
  let made = tlsTemplates.get(name);
  if (!made) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `qkm-guide-tls-${name}-`));
    roots.push(dir);
    const altNames = ['localhost', '127.0.0.1', '::1'];
    made = ensureServerCredentials(dir, { hostname: 'qkmserver', altNames, now: new Date(), keyBits: TEST_KEY_BITS }).then(() => dir);
    tlsTemplates.set(name, made);
  }
  return made;
}

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('the user guide', () => {
  it('runs every qkmcmds command it shows', () => {
    expect(chapters.flatMap((c) => c.unrun)).toEqual([]);
  });

  it('lists every chapter in its index', () => {
    const index = readFileSync(path.join(DOCS, 'README.md'), 'utf8');
    const missing = chapters.map((c) => path.basename(c.file)).filter((f) => f !== 'README.md' && !index.includes(`(${f})`));
    expect(missing).toEqual([]);
  });

  for (const chapter of chapters.filter((c) => c.steps.length > 0)) {
    const skip = chapter.needs.some((n) => needsTool(n.tool, n.pkg, `test/docs/guide.test.ts (${path.basename(chapter.file)})`).skip);
    // Chapters are independent; side by side, one's waits (a rebuild) overlap another's work.
    it.skipIf(skip).concurrent(`${path.basename(chapter.file)}: every command does what the guide says`, async () => {
      const world = await GuideWorld.make();
      try {
        await world.run(chapter);
      } finally {
        await world.close();
      }
    }, 300_000);
  }
});

interface Server {
  dir: string;
  kmipPort: number;
  pairPort: number;
  env: Record<string, string>;
  /** Stops the running qkmd (or launcher) and resolves once it has exited. */
  stop?: () => Promise<unknown>;
}

const COMMAND_SECONDS = 120;
const DOC_HOME = '/home/akmadmin';
const DOC_DATA_DIR = '/var/lib/qkm';
const DOC_HOSTS: Record<ServerName, string> = { first: 'qkm1.example.net', second: 'qkm2.example.net' };

/** One chapter's machines: two possible servers, the administrator's folder, and the commands' PATH. */
class GuideWorld {
  private readonly vars = new Map<string, string>();

  private constructor(
    private readonly home: string,
    private readonly bin: string,
    private readonly servers: Record<ServerName, Server>,
  ) {}

  static async make(): Promise<GuideWorld> {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qkm-guide-'));
    roots.push(root);
    const home = path.join(root, 'home');
    const bin = path.join(root, 'bin');
    mkdirSync(home);
    mkdirSync(bin);
    // The guide's checkout is ~/qkm (its scripts, its example configuration).
    symlinkSync(PACKAGE_ROOT, path.join(home, 'qkm'));
    for (const name of ['qkmcmds', 'qkm-library']) {
      writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${path.join(PACKAGE_ROOT, 'bin', `${name}.js`)}" "$@"\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    const server = async (name: ServerName): Promise<Server> => {
      const dir = path.join(root, name);
      cpSync(await tlsTemplate(name), path.join(dir, 'tls'), { recursive: true });
      return { dir, kmipPort: await freePort(), pairPort: await freePort(), env: {} };
    };
    return new GuideWorld(home, bin, { first: await server('first'), second: await server('second') });
  }

  /** Pairs of (what the guide says, what it is here). */
  private swaps(on: ServerName): [string, string][] {
    const pairs: [string, string][] = [];
    for (const name of ['first', 'second'] as const) {
      const s = this.servers[name];
      pairs.push([`${DOC_HOSTS[name]}:6000`, `127.0.0.1:${s.kmipPort}`], [`${DOC_HOSTS[name]}:6100`, `127.0.0.1:${s.pairPort}`]);
    }
    pairs.push([DOC_DATA_DIR, this.servers[on].dir], [DOC_HOME, this.home]);
    return pairs;
  }

  private toHere(text: string, on: ServerName): string {
    return this.swaps(on).reduce((t, [doc, here]) => t.split(doc).join(here), text);
  }

  private toGuide(text: string, on: ServerName): string {
    return this.swaps(on).reduce((t, [doc, here]) => t.split(here).join(doc), text);
  }

  private envOf(on: ServerName): Record<string, string> {
    const s = this.servers[on];
    const env: Record<string, string> = { QKM_PATHS_DATA_DIR: s.dir, QKM_KMIP_PORT: String(s.kmipPort), QKM_PAIR_PORT: String(s.pairPort) };
    for (const [k, v] of Object.entries(s.env)) env[k] = this.toHere(v, on);
    return env;
  }

  async run(chapter: Chapter): Promise<void> {
    for (const step of chapter.steps) await this.step(step);
  }

  private async step(step: Step): Promise<void> {
    const at = `${path.basename(step.file)}:${step.line}`;
    if (step.kind === 'command') return this.command(step, at);
    if (step.kind === 'menu') return this.menu(step, at);
    const s = this.servers[step.server];
    if (step.kind === 'start') {
      if (s.stop) throw new Error(`${at}: the ${step.server} qkmd is already running`);
      Object.assign(s.env, step.env);
      s.stop = step.launcher ? await this.launch(step.server) : (await startQkmdProcess({ args: [], env: this.envOf(step.server), timeoutMs: 60_000 })).stop;
    } else {
      await s.stop?.();
      s.stop = undefined;
    }
  }

  /** qkm-launcher as systemd runs it; its stop is a SIGTERM (a power cut if that hangs). */
  private async launch(on: ServerName): Promise<() => Promise<unknown>> {
    const l = launch(this.servers[on].dir, this.envOf(on));
    await until(l, /^running;/m);
    return () => {
      l.child.kill('SIGTERM');
      const timer = setTimeout(() => powerCut(l.child), 10_000);
      return l.exited.finally(() => clearTimeout(timer));
    };
  }

  private async command(step: CommandStep, at: string): Promise<void> {
    const command = this.toHere(fillIn(step.command, this.vars), step.server);
    const until = Date.now() + (step.retrySeconds ?? 0) * 1000;
    for (;;) {
      const r = await this.shell(command, step);
      const output = this.toGuide(r.output, step.server);
      const mismatch = step.expect.length > 0 ? matchOutput(step.expect, output, this.vars) : undefined;
      if (r.code === step.exitCode && mismatch === undefined) return;
      if (Date.now() < until) {
        await new Promise((res) => setTimeout(res, 250));
        continue;
      }
      const why = r.code !== step.exitCode ? `exit status ${r.code}, the guide says ${step.exitCode}` : `no line matched: ${mismatch}`;
      const problem = `${at}: $ ${step.command}\n${why}; it printed:\n${output}`;
      // A writer's aid: QKM_GUIDE_GO_ON=1 prints each mismatch and goes on to the next command.
      if (process.env.QKM_GUIDE_GO_ON !== '1') throw new Error(problem);
      console.log(problem);
      return;
    }
  }

  /** Drives a menu console session in tmux as a person would: reads the screen, types at the prompts. */
  private async menu(step: MenuStep, at: string): Promise<void> {
    const term = new TmuxConsole();
    const env = Object.entries({ PATH: `${this.bin}:${process.env.PATH ?? ''}`, HOME: this.home, ...this.envOf(step.server) }).map(([k, v]) => `${k}='${v}'`);
    term.run(`cd '${this.home}' && env ${env.join(' ')} ${step.command}; echo "[exit $?]"; sleep 120`);
    try {
      let cursor = 0;
      // Waits (up to 20 s) for a screen line at or after the cursor that passes `test`; the cursor moves past it.
      const find = async (what: string, test: (line: string) => boolean): Promise<void> => {
        for (let i = 0; i < 200; i++) {
          const lines = this.toGuide(term.screen(), step.server).split('\n').map(squeeze);
          const found = lines.findIndex((l, k) => k >= cursor && test(l));
          if (found >= 0) {
            cursor = found + 1;
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`${at}: the menu console never showed "${what}"; the screen:\n${this.toGuide(term.screen(), step.server)}`);
      };
      for (const line of step.screen) {
        if (line.trim() === '' || GAP.test(line)) continue;
        const typed = TYPED.exec(line);
        if (typed) {
          const prompt = squeeze(line.slice(0, typed.index));
          await find(prompt, (l) => l.startsWith(prompt));
          term.type(fillIn(typed[1]!, this.vars));
        } else {
          const { re } = lineMatcher(line, this.vars);
          await find(line.trim(), (l) => re.test(l));
        }
      }
      await find(`[exit ${step.exitCode}]`, (l) => l === `[exit ${step.exitCode}]`);
    } finally {
      term.kill();
    }
  }

  private shell(command: string, step: CommandStep): Promise<{ code: number | null; output: string }> {
    const env = { PATH: `${this.bin}:${process.env.PATH ?? ''}`, HOME: this.home, ...this.envOf(step.server) };
    const child = spawn('sh', ['-c', `exec 2>&1\n${command}`], { cwd: this.home, env, stdio: ['pipe', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    // A command that never reads its input may be gone before it is written.
    child.stdin.on('error', () => {});
    child.stdin.end(step.input === undefined ? '' : fillIn(step.input, this.vars));
    // Generous: on a loaded 2-core machine an update's install alone has taken tens of seconds.
    const timer = setTimeout(() => {
      output += `\n[killed after ${COMMAND_SECONDS} s]`;
      child.kill('SIGKILL');
    }, COMMAND_SECONDS * 1000);
    return new Promise((resolve) => child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }));
  }

  async close(): Promise<void> {
    for (const s of Object.values(this.servers)) await s.stop?.();
  }
}
