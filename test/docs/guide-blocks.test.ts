import { describe, expect, it } from 'vitest';
import { fillIn, matchOutput, parseChapter } from './guide-blocks.js';

const fence = '```';

describe('reading the guide', () => {
  it('a qkmcmds command in a block that is not run is named with its line', () => {
    const c = parseChapter('/docs/x.md', ['# X', '', `${fence}sh`, 'npx qkmcmds keys status', 'echo ok && qkmcmds backup', `${fence}`, '', `${fence}text`, 'Run "qkmcmds backup" first.', `${fence}`].join('\n'));
    expect(c.unrun).toEqual([
      'x.md:4: "npx qkmcmds keys status" is shown but not run; mark its block qkm-run',
      'x.md:5: "echo ok && qkmcmds backup" is shown but not run; mark its block qkm-run',
    ]);
    expect(c.steps).toEqual([]);
  });

  it('a qkm-run block is commands with their output, exit status, directives and here-documents', () => {
    const c = parseChapter('/docs/x.md', [
      '<!-- qkm: start second QKM_PAIR_ROLE=secondary -->',
      '<!-- qkm: input one\\ntwo -->',
      `${fence}console qkm-run on=second`,
      '$ cat > a.toml <<\'END\'',
      'x = 1',
      'END',
      '$ qkmcmds restore A B',
      'qkmcmds: no.',
      '[exit 1]',
      `${fence}`,
    ].join('\n'));
    expect(c.unrun).toEqual([]);
    expect(c.steps).toMatchObject([
      { kind: 'start', server: 'second', env: { QKM_PAIR_ROLE: 'secondary' }, launcher: false },
      { kind: 'command', server: 'second', command: "cat > a.toml <<'END'\nx = 1\nEND", expect: [], exitCode: 0, input: 'one\ntwo\n' },
      { kind: 'command', server: 'second', command: 'qkmcmds restore A B', expect: ['qkmcmds: no.'], exitCode: 1 },
    ]);
  });

  it('a qkm-menu block is the command, the screen and what is typed; it needs tmux', () => {
    const c = parseChapter('/docs/x.md', [`${fence}text qkm-menu`, '$ qkmcmds', 'Password for akmadmin: «password»', 'Choice: «x»', `${fence}`].join('\n'));
    expect(c.steps).toMatchObject([{ kind: 'menu', command: 'qkmcmds', screen: ['Password for akmadmin: «password»', 'Choice: «x»'], exitCode: 0 }]);
    expect(c.needs).toEqual([{ tool: 'tmux', pkg: 'tmux' }]);
  });
});

describe('matching what a command printed', () => {
  it('whitespace runs are one space, <…> is any text, a named <placeholder> is remembered for later commands', () => {
    const vars = new Map<string, string>();
    expect(matchOutput(['LIB1 i500 <…> ok', 'last: <last key>'], 'LIB1   i500   1024  0\tok\nlast: K-000001\n', vars)).toBeUndefined();
    expect(vars.get('last key')).toBe('K-000001');
    expect(fillIn('qkmcmds sync --last-key <last key>', vars)).toBe('qkmcmds sync --last-key K-000001');
    expect(() => fillIn('qkmcmds sync --last-key <first key>', vars)).toThrow(/<first key>, which no output before it showed/);
  });

  it('a name seen before must match the same text again', () => {
    const vars = new Map([['last key', 'K-000001']]);
    expect(matchOutput(['key <last key>'], 'key K-000002', vars)).toBe('key <last key>');
    expect(matchOutput(['key <last key>'], 'key K-000001', vars)).toBeUndefined();
  });

  it('… stands for any lines; without it every line printed must be shown', () => {
    const vars = new Map<string, string>();
    expect(matchOutput(['first', '…', 'last'], 'first\na\nb\nlast\n', vars)).toBeUndefined();
    expect(matchOutput(['first', 'last'], 'first\na\nlast\n', vars)).toBe('last');
    expect(matchOutput(['first'], 'first\nmore\n', vars)).toBe('(the output goes on past what the guide shows)');
  });
});
