import { describe, expect, it } from 'vitest';
import { terminalSentence } from '../../src/cli/words.js';
import { type ErrorWords, KeyEngineError, QkmError, sentenceOf } from '../../src/errors.js';
import { KMIP_WORDS } from '../../src/kmip/operations/words.js';
import { type TicketWords, ticketText } from '../../src/ras/ticket-catalogue.js';

/**
 * The catalogue is checked by the compiler (the `@ts-expect-error` lines below fail the
 * type check of tests, `npm run lint`, if they ever compile), and each front end words an
 * error from its code and parameters, falling back to the neutral message.
 */
describe('the error catalogue', () => {
  it('a misspelt code, a missing parameter or words for an unknown parameter do not compile', () => {
    // @ts-expect-error: no such code
    const misspelt = () => new KeyEngineError('NO_KEYSET', 'x');
    // @ts-expect-error: NO_KEY_SET needs its library
    const noParams = () => new KeyEngineError('NO_KEY_SET', 'x');
    // @ts-expect-error: KEYS_EXHAUSTED needs the key class too
    const missing = () => new KeyEngineError('KEYS_EXHAUSTED', 'x', { params: { library: 'LIB1' } });
    // @ts-expect-error: a front end's words see the code's own parameters only
    const words: ErrorWords = { NO_KEY_SET: (p) => `${p.libary}` };
    expect([misspelt, noParams, missing, words]).toHaveLength(4);
  });

  it('keeps the code and parameters; each front end words it, or falls back to the neutral message', () => {
    const e = new KeyEngineError('KEYS_PENDING_BACKUP', 'The keys of library LIB1 are not in any backup yet; take a backup before they are used.', { params: { library: 'LIB1', ticket: 3 } });
    expect([e.code, e.params]).toEqual(['KEYS_PENDING_BACKUP', { library: 'LIB1', ticket: 3 }]);
    expect(terminalSentence(e)).toBe('The keys of library LIB1 are not in any backup yet; run "qkmcmds backup" before they are used. (ticket 3)');
    expect(sentenceOf(e, KMIP_WORDS)).toBe("The keys of library LIB1 are not in any backup yet; ask the key manager's administrator to back up the keystore, then write the tape again. (ticket 3)");
    expect(sentenceOf(e, {})).toBe(e.message);
    const plain = new QkmError('USAGE', 'Give a command.');
    expect([plain.params, terminalSentence(plain), sentenceOf(plain, KMIP_WORDS)]).toEqual([{}, 'Give a command.', 'Give a command.']);
  });

  it('a ticket of older code (no kind) shows its stored text; one with a kind is worded by the front end', () => {
    const words: TicketWords = { 'sync-needed': (p) => `Synchronise ${p.library}.` };
    expect(ticketText({ text: 'stored', kind: null, params: null }, words)).toBe('stored');
    expect(ticketText({ text: 'stored', kind: 'sync-needed', params: { library: 'LIB1' } }, words)).toBe('Synchronise LIB1.');
    expect(ticketText({ text: 'stored', kind: 'keys-exhausted', params: { library: 'LIB1', keyClass: 'i500' } }, words)).toBe('stored');
  });
});
