import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, type CommandDeps, groupsFor } from '../../src/cli/command-table.js';
import { QKMCMDS, qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';

/** `node --import` it to have the process list the modules it loads in the file QKM_TEST_MODULES names. */
const MODULE_LIST = path.join(REPO, 'test', 'fixtures', 'module-list', 'register.mjs');

const TABLE_NAMES = [...new Set(COMMAND_GROUPS.flatMap((g) => g.commands))].sort();

/** The top-level commands `qkmcmds --help` lists, aliases included (`certs|cert`). */
function helpCommands(help: string): string[] {
  const section = help.slice(help.indexOf('\nCommands:\n'));
  return [...section.matchAll(/^ {2}(\S+)/gm)].flatMap((m) => m[1]!.split('|')).sort();
}

/** A program with qkmcmds' own options (what groupsFor reads) and the given groups added. */
async function programWith(groups: readonly (typeof COMMAND_GROUPS)[number][]): Promise<Command> {
  const program = new Command('qkmcmds').version('0', '-v, --version').option('--config <file>').option('--data-dir <dir>').exitOverride();
  const deps = { context: () => { throw new Error('not run'); }, action: () => async () => {} } as unknown as CommandDeps;
  for (const g of groups) await g.add(program, deps);
  return program;
}

/** A command's help and that of every subcommand under it. */
const helpTree = (c: Command): string => [c.helpInformation(), ...c.commands.map(helpTree)].join('\n');

describe('the command table', () => {
  it('names every command qkmcmds --help lists, and nothing else', () => {
    const r = qkmcmds(['--help']);
    expect(r.code).toBe(0);
    expect(helpCommands(r.stdout)).toEqual(TABLE_NAMES);
    expect(TABLE_NAMES).toEqual(expect.arrayContaining(['keys', 'tickets', 'certs', 'cert', 'hw', 'update', 'status']));
  });

  it('gives each command, loaded alone, the same subcommands, options and help as with everything loaded', async () => {
    const everything = await programWith(COMMAND_GROUPS);
    for (const name of TABLE_NAMES) {
      const alone = await programWith(groupsFor(everything, ['--data-dir', '/d', name, '--json']));
      const find = (p: Command) => p.commands.find((c) => c.name() === name || c.aliases().includes(name));
      expect(find(alone), name).toBeDefined();
      expect(helpTree(find(alone)!), name).toBe(helpTree(find(everything)!));
    }
  });

  it('loads everything for no command, help, an unknown command or an option it cannot place', async () => {
    const program = await programWith([]);
    for (const args of [[], ['--help'], ['help', 'keys'], ['tickts'], ['--bogus', 'tickets'], ['--', 'tickets'], ['--data-dir']]) {
      expect(groupsFor(program, args), args.join(' ')).toBe(COMMAND_GROUPS);
    }
    expect(groupsFor(program, ['--version'])).toEqual([]);
    const naming = (name: string) => COMMAND_GROUPS.filter((g) => g.commands.includes(name));
    // --data-dir takes "keys" as its value, whatever it looks like, as commander does.
    expect(groupsFor(program, ['--data-dir', 'keys', 'tickets'])).toEqual(naming('tickets'));
    expect(groupsFor(program, ['--config=x.toml', 'cert', 'list'])).toEqual(naming('certs'));
    expect(naming('certs')).toHaveLength(2);
  });
});

describe('what a command loads', () => {
  let dir: string;
  let qkmd: Awaited<ReturnType<typeof startQkmd>>;
  beforeAll(async () => {
    dir = tempDir('qkm-lazy-');
    qkmd = await startQkmd(['--data-dir', dir]);
  }, 60_000);
  afterAll(async () => {
    qkmd.child.kill('SIGTERM');
    await qkmd.exited;
    removeDir(dir);
  });

  /** Runs qkmcmds on the data directory; its output and the package modules it loaded (`src/cli/table.js`, `node-forge`). */
  function traced(...args: string[]) {
    const list = path.join(dir, `modules-${args.join('-')}.txt`);
    writeFileSync(list, '');
    const r = spawnSync(process.execPath, ['--import', MODULE_LIST, QKMCMDS, ...args, '--data-dir', dir], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', QKM_TEST_MODULES: list } });
    const loaded = readFileSync(list, 'utf8').split('\n').flatMap((url) => url.match(/\/dist\/(src\/.*)$|\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.slice(1).filter(Boolean) ?? []);
    const commandModules = [...new Set(loaded.filter((m) => /^src\/cli\/(.*-commands|console-command)\.js$/.test(m)))].sort();
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: new Set(loaded), commandModules };
  }
  const engineLoaded = (loaded: Set<string>) => [...loaded].some((m) => m.startsWith('src/engine/') && m !== 'src/engine/world.js');

  it('tickets: the keystore commands only, no PKI or pair client', () => {
    const r = traced('tickets');
    expect(r).toMatchObject({ code: 0, stdout: 'No open tickets.\n', stderr: '' });
    expect(r.commandModules).toEqual(['src/cli/keystore-commands.js']);
    expect(r.loaded).not.toContain('node-forge');
    expect([...r.loaded].filter((m) => /^src\/(pki|pair|update|console|web)\//.test(m))).toEqual([]);
  });

  it('keys status: the two modules that add to keys, and not the key exchange itself', () => {
    const r = traced('keys', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No key sets yet/);
    expect(r.commandModules).toEqual(['src/cli/exchange-commands.js', 'src/cli/keystore-commands.js']);
    expect(r.loaded).not.toContain('node-forge');
    expect(r.loaded).not.toContain('src/admin/key-exchange.js');
  });

  it('hw status: the hardware commands, without the key engine or the diagnosis of a capture', () => {
    const r = traced('hw', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RAID/);
    expect(r.commandModules).toEqual(['src/cli/hw-commands.js']);
    expect(engineLoaded(r.loaded)).toBe(false);
    expect(r.loaded).not.toContain('src/admin/diagnose.js');
  });

  it('--version: no command group at all', () => {
    const r = traced('--version');
    expect(r.code).toBe(0);
    expect(r.commandModules).toEqual([]);
    expect(engineLoaded(r.loaded)).toBe(false);
  });
});
