import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KMIP_WORDS } from '../../src/kmip/operations/words.js';
import { TICKET_KINDS } from '../../src/ras/ticket-catalogue.js';

/**
 * Issue 11 §4: the words below the command line are read by people who cannot run
 * `qkmcmds` (a tape library's operator, later the menu console's and the web page's
 * readers), so none of them names a qkmcmds command line; the terminal adds its own.
 */
const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');
/** Every layer below src/cli. src/control is left out: it is qkmd's channel to qkmcmds itself. */
const BELOW_CLI = ['engine', 'admin', 'exchange', 'pki', 'kmip', 'ras', 'agent', 'hardware', 'status', 'config', 'util', 'logs'];

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

/** The code without its comments (which may well speak of qkmcmds): block comments, then line comments. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** Parameters for any words: every value a string, except the ticket number. */
const ANY_PARAMS = new Proxy({}, { get: (_, key) => (key === 'ticket' ? 7 : `<${String(key)}>`) });

describe('no qkmcmds command line below the terminal', () => {
  it('no message, ticket text or other string in the layers below src/cli says qkmcmds', () => {
    const found = BELOW_CLI.flatMap((layer) => sources(path.join(SRC, layer)))
      .flatMap((file) => withoutComments(readFileSync(file, 'utf8')).split('\n')
        // A command line is the program followed by a command; the program's bare name (a lock holder's) is no advice.
        .filter((line) => /qkmcmds\s+[a-z-]/.test(line))
        .map((line) => `${path.relative(SRC, file)}: ${line.trim()}`));
    expect(found).toEqual([]);
  });

  it("the engine's tickets have neutral texts naming no command line", () => {
    for (const [kind, k] of Object.entries(TICKET_KINDS)) {
      const text = (k.neutral as (p: unknown) => string)(ANY_PARAMS);
      expect(text, kind).not.toMatch(/qkmcmds/);
      expect(text, kind).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('the KMIP Result Message sends a library operator to the administrator, never to a command', () => {
    const words = Object.entries(KMIP_WORDS) as [string, (p: unknown, neutral: string) => string][];
    expect(words.length).toBeGreaterThan(0);
    for (const [code, say] of words) {
      const text = say(ANY_PARAMS, 'NEUTRAL');
      expect(text, code).not.toMatch(/qkmcmds/);
      expect(text, code).toMatch(/ask the key manager's administrator to/);
    }
  });
});
