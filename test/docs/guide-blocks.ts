/**
 * Reads the user guide (docs/*.md) into the steps its test runs. The conventions, which
 * docs/README.md repeats for writers:
 *
 * - A fenced block whose info string has `qkm-run` (```` ```console qkm-run ````, or
 *   `qkm-run on=second` for the second server) is a terminal session that is run: `$ COMMAND`
 *   lines (a trailing `\` continues one, as does a here-document up to its end word), each
 *   followed by the output it must print. Output lines may hold `<…>` (any text) or
 *   `<a name>` (any text, remembered: a later command or output quoting `<a name>` gets that
 *   text); a line `…` stands for any number of lines; a last line `[exit N]` is the exit
 *   status expected (0 otherwise). No output lines: only the exit status is checked.
 * - A fenced block with `qkm-menu` is a menu console session, run in an 80x24 tmux pane: its
 *   first line `$ COMMAND` opens it, each line with `«TEXT»` is a prompt at which TEXT is typed
 *   (`«»`: just Enter), and every other line must appear on the screen, in order (blank lines
 *   and `…` are skipped); a last line `[exit N]` is the status the session ends with.
 * - Any other fenced block may not run `qkmcmds` or `qkm-library`: a command the guide shows
 *   but nothing runs fails the test.
 * - `<!-- qkm: ... -->` comments (invisible once rendered) direct the run:
 *   `start [first|second] [launcher] [VAR=VALUE...]` and `stop [first|second]` (qkmd, or
 *   qkm-launcher with its qkmd, with QKM_ variables as its configuration); `input TEXT` (the
 *   next command's standard input, what a person types at its prompts: `\n` between lines,
 *   `<names>` filled in); `retry SECONDS` (the next command runs again until its output
 *   matches, for what happens in the background); `needs TOOL PACKAGE` (the chapter runs a
 *   tool from a Debian package).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export type ServerName = 'first' | 'second';

export interface CommandStep {
  kind: 'command';
  file: string;
  line: number;
  server: ServerName;
  command: string;
  /** Expected output lines (empty: not checked). */
  expect: string[];
  exitCode: number;
  input?: string;
  retrySeconds?: number;
}

export interface DirectiveStep {
  kind: 'start' | 'stop';
  file: string;
  line: number;
  server: ServerName;
  env: Record<string, string>;
  /** Started through qkm-launcher (software slots, updates) rather than qkmd alone. */
  launcher: boolean;
}

/** A menu console session: the command that opens it, then the screen, with what is typed in «». */
export interface MenuStep {
  kind: 'menu';
  file: string;
  line: number;
  server: ServerName;
  command: string;
  screen: string[];
  exitCode: number;
}

export type Step = CommandStep | DirectiveStep | MenuStep;

export interface Chapter {
  file: string;
  /** Debian tools the chapter runs (`<!-- qkm: needs TOOL PACKAGE -->`), with their packages. */
  needs: { tool: string; pkg: string }[];
  steps: Step[];
  /** "file:line: problem" for every block that shows `qkmcmds` but is not run. */
  unrun: string[];
}

const FENCE = /^(\s*)(```+|~~~+)(.*)$/;
const DIRECTIVE = /^<!--\s*qkm:\s*(.*?)\s*-->\s*$/;
/** A line that runs qkmcmds or qkm-library: at its start, after a prompt, `npx`, `sudo`, a pipe, `&&` or `;`. */
const RUNS_OUR_COMMAND = /(^|[$|;&]\s*|\bnpx\s+|\bsudo\s+)(qkmcmds|qkm-library)\b/;

export function readGuide(docsDir: string): Chapter[] {
  return readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => parseChapter(path.join(docsDir, f), readFileSync(path.join(docsDir, f), 'utf8')));
}

export function parseChapter(file: string, text: string): Chapter {
  const chapter: Chapter = { file, needs: [], steps: [], unrun: [] };
  const lines = text.split('\n');
  let pendingInput: string | undefined;
  let pendingRetry: number | undefined;
  const where = (i: number) => `${path.basename(file)}:${i + 1}`;
  for (let i = 0; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]!);
    if (directive) {
      const [verb = '', ...rest] = directive[1]!.split(/\s+/);
      if (verb === 'input') pendingInput = directive[1]!.slice('input'.length).trim().split('\\n').join('\n');
      else if (verb === 'retry') pendingRetry = Number(rest[0]);
      else if (verb === 'needs') chapter.needs.push({ tool: rest[0]!, pkg: rest[1] ?? rest[0]! });
      else if (verb === 'start' || verb === 'stop') {
        const server: ServerName = rest[0] === 'second' ? 'second' : 'first';
        const env = Object.fromEntries(rest.filter((w) => w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
        chapter.steps.push({ kind: verb, file, line: i + 1, server, env, launcher: rest.includes('launcher') });
      } else throw new Error(`${where(i)}: unknown qkm directive "${verb}"`);
      continue;
    }
    const fence = FENCE.exec(lines[i]!);
    if (!fence) continue;
    const start = i;
    const info = fence[3]!.trim().split(/\s+/);
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence[2]!); i++) body.push(lines[i]!.slice(fence[1]!.length));
    if (info.includes('qkm-menu')) {
      chapter.steps.push(parseMenu(file, start + 2, body, info.includes('on=second') ? 'second' : 'first'));
      if (!chapter.needs.some((n) => n.tool === 'tmux')) chapter.needs.push({ tool: 'tmux', pkg: 'tmux' });
    }
    else if (info.includes('qkm-run')) {
      const server: ServerName = info.includes('on=second') ? 'second' : 'first';
      for (const step of parseTranscript(file, start + 2, body, server)) {
        if (pendingInput !== undefined) step.input = `${pendingInput}\n`;
        if (pendingRetry !== undefined) step.retrySeconds = pendingRetry;
        pendingInput = undefined;
        pendingRetry = undefined;
        chapter.steps.push(step);
      }
    } else {
      body.forEach((l, k) => {
        if (RUNS_OUR_COMMAND.test(l.trim())) chapter.unrun.push(`${where(start + 1 + k)}: "${l.trim()}" is shown but not run; mark its block qkm-run`);
      });
    }
  }
  return chapter;
}

function parseTranscript(file: string, firstLine: number, body: string[], server: ServerName): CommandStep[] {
  const steps: CommandStep[] = [];
  let current: CommandStep | undefined;
  let continued = false;
  let hereDocEnd: string | undefined;
  const startsHereDoc = (line: string) => /<<-?\s*'?(\w+)'?/.exec(line)?.[1];
  body.forEach((raw, k) => {
    if ((continued || hereDocEnd !== undefined) && current) {
      current.command += `\n${raw}`;
      if (hereDocEnd !== undefined) hereDocEnd = raw.trim() === hereDocEnd ? undefined : hereDocEnd;
      else continued = raw.endsWith('\\');
      return;
    }
    if (raw.startsWith('$ ')) {
      current = { kind: 'command', file, line: firstLine + k, server, command: raw.slice(2), expect: [], exitCode: 0 };
      steps.push(current);
      continued = raw.endsWith('\\');
      hereDocEnd = startsHereDoc(raw);
      return;
    }
    if (!current) throw new Error(`${path.basename(file)}:${firstLine + k}: a qkm-run block starts with "$ COMMAND"`);
    const exit = /^\[exit (\d+)\]$/.exec(raw.trim());
    if (exit) current.exitCode = Number(exit[1]);
    else current.expect.push(raw);
  });
  for (const s of steps) while (s.expect.length > 0 && s.expect.at(-1)!.trim() === '') s.expect.pop();
  return steps;
}

export const TYPED = /«([^»]*)»/;

function parseMenu(file: string, firstLine: number, body: string[], server: ServerName): MenuStep {
  const [opening = '', ...rest] = body;
  if (!opening.startsWith('$ ')) throw new Error(`${path.basename(file)}:${firstLine}: a qkm-menu block starts with "$ COMMAND"`);
  const exit = /^\[exit (\d+)\]$/.exec(rest.at(-1)?.trim() ?? '');
  if (exit) rest.pop();
  return { kind: 'menu', file, line: firstLine, server, command: opening.slice(2), screen: rest, exitCode: exit ? Number(exit[1]) : 0 };
}

const PLACEHOLDER = /<([^<>]*)>/g;
const ANY = new Set(['…', '...']);
export const GAP = /^\s*(…|\.\.\.)\s*$/;

export function squeeze(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Puts remembered values into a command: `<last key>` becomes the key seen earlier. */
export function fillIn(command: string, vars: Map<string, string>): string {
  return command.replace(PLACEHOLDER, (whole, name: string) => {
    const value = vars.get(name);
    if (value === undefined) throw new Error(`the command quotes ${whole}, which no output before it showed`);
    return value;
  });
}

/** One expected line as a regular expression over a squeezed actual line, and the names it captures. */
export function lineMatcher(expected: string, vars: Map<string, string>): { re: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  let last = 0;
  const text = squeeze(expected);
  for (const m of text.matchAll(PLACEHOLDER)) {
    source += escapeRegExp(text.slice(last, m.index));
    const name = m[1]!;
    if (ANY.has(name)) source += '.*?';
    else if (vars.has(name)) source += escapeRegExp(vars.get(name)!);
    else {
      names.push(name);
      source += '(.+?)';
    }
    last = m.index + m[0].length;
  }
  source += escapeRegExp(text.slice(last));
  return { re: new RegExp(`^${source}$`), names };
}

/**
 * Whether `actual` (the command's output, already in the guide's words: its paths and
 * ports) matches the expected lines; on a match, the values of new `<names>` are added
 * to `vars`. Returns the first expected line that did not match, or undefined.
 */
export function matchOutput(expected: string[], actual: string, vars: Map<string, string>): string | undefined {
  const lines = actual.replace(/\n$/, '').split('\n').map(squeeze);
  const found = new Map<string, string>();
  const scope = () => new Map([...vars, ...found]);
  const tryAt = (e: number, a: number): boolean => {
    if (e === expected.length) return a === lines.length;
    if (GAP.test(expected[e]!)) {
      for (let skip = a; skip <= lines.length; skip++) if (tryAt(e + 1, skip)) return true;
      return false;
    }
    if (a >= lines.length) return false;
    const { re, names } = lineMatcher(expected[e]!, scope());
    const m = re.exec(lines[a]!);
    if (!m) return false;
    names.forEach((n, k) => {
      found.set(n, m[k + 1]!);
    });
    if (tryAt(e + 1, a + 1)) return true;
    for (const n of names) found.delete(n);
    return false;
  };
  if (!tryAt(0, 0)) return firstMismatch(expected, lines, scope());
  for (const [k, v] of found) vars.set(k, v);
  return undefined;
}

function firstMismatch(expected: string[], lines: string[], vars: Map<string, string>): string {
  for (let e = 0; e < expected.length; e++) {
    if (GAP.test(expected[e]!)) return `after "${expected[e - 1] ?? ''}", the rest did not match`;
    if (!lineMatcher(expected[e]!, vars).re.test(lines[e] ?? '')) return expected[e]!;
  }
  return '(the output goes on past what the guide shows)';
}
