/**
 * The key file alone, in process: what a sender could get wrong or an attacker could change,
 * and what the recipient makes of it. A changed header or a header signed by a key other
 * than the included certificate's refuses the whole file; a damaged, missing, added or
 * wrongly wrapped entry is that entry only. Also the engine's side of an import: one
 * transaction, and the peer server gets its copy through the change journal.
 */
import { constants, createHash, publicEncrypt, X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeError } from '../../src/exchange/errors.js';
import { type KeyToSend, buildKeyFile, openKeyFile, signHeader } from '../../src/exchange/key-file.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { PeerCopies } from '../../src/engine/peer-copies.js';
import { issueEncryptionCertificate } from '../../src/pki/authority.js';
import type { CertifiedKey } from '../../src/pki/index.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

let sender: CertifiedKey;
let recipient: CertifiedKey;
let stranger: CertifiedKey;
const NOW = new Date();

beforeAll(() => {
  sender = issueEncryptionCertificate({ now: NOW, serial: 'QKMSEND1' });
  recipient = issueEncryptionCertificate({ now: NOW, serial: 'QKMRECV1' });
  stranger = issueEncryptionCertificate({ now: NOW, serial: 'QKMOTHER' });
});

const key = (i: number): KeyToSend => ({
  name: `QKMSEND1-00000000000000a${i}-00000${i}`, library: 'LIBA', barcode: `EXA00${i}L8`, keyIdentifier: null,
  generatedAt: NOW.toISOString(), writtenAt: NOW.toISOString(), material: Buffer.alloc(32, i),
});

/** A key file as JSON, to change as a careless mailer or an attacker would. */
interface FileJson {
  version?: number;
  header: { createdAt: string; entries: string[]; sender: { certificate: string } };
  signature: string;
  entries: Record<string, unknown>[];
}

function fileFor(keys: KeyToSend[], to: CertifiedKey = recipient): FileJson {
  return JSON.parse(buildKeyFile({
    keys, sender: { serial: 'QKMSEND1', certPem: sender.certPem, keyPem: sender.keyPem },
    recipient: { name: 'SITEB', cert: new X509Certificate(to.certPem) }, now: NOW, id: '0123456789abcdef',
  }));
}

const own = () => ({ fingerprint: new X509Certificate(recipient.certPem).fingerprint256, keyPem: recipient.keyPem });
const open = (f: unknown) => openKeyFile(JSON.stringify(f, null, 2), { file: 'keys.json', own: own() });
const codeOf = (f: unknown): string => {
  try {
    open(f);
    return 'opened';
  } catch (e) {
    return (e as ExchangeError).code;
  }
};

describe('a key file', () => {
  it('opens every key for its recipient, as sent', () => {
    const r = open(fileFor([key(1), key(2)]));
    expect(r.senderSerial).toBe('QKMSEND1');
    expect(r.outcomes.map((o) => o.ok && o.key.material)).toEqual([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
  });

  it('an entry wrapped for another certificate (the sender signing it as its own) is a wrong recipient; the others open', () => {
    const f = fileFor([key(1), key(2), key(3)]);
    const strangers = new X509Certificate(stranger.certPem).publicKey;
    f.entries[1]!.wrappedKey = publicEncrypt({ key: strangers, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.alloc(32, 2)).toString('base64');
    f.header.entries = f.entries.map((e) => sha256(JSON.stringify(e)));
    f.signature = signHeader(f.header, sender.keyPem);
    const r = open(f);
    expect(r.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'wrong recipient', 'ok']);
  });

  it('an entry missing, added or changed is a corrupt entry, named where it can be', () => {
    const f = fileFor([key(1), key(2), key(3)]);
    f.entries[0]!.library = 'LIBX';
    f.entries.pop();
    expect(open(f).outcomes.map((o) => (o.ok ? 'ok' : `${o.name}: ${o.reason}: ${o.detail}`))).toEqual([
      `${key(1).name}: corrupt entry: it was changed after the file was made`,
      'ok',
      'null: corrupt entry: it is missing from the file',
    ]);
    const g = fileFor([key(1)]);
    g.entries.push({ ...g.entries[0], name: 'QKMSEND1-00000000000000ff-000009' });
    expect(open(g).outcomes.map((o) => (o.ok ? 'ok' : `${o.name}: ${o.detail}`))).toEqual(['ok', expect.stringContaining('not listed in the signed header')]);
  });

  it('a changed header, a header signed by another key, another recipient or an expired sender refuses the whole file', () => {
    const changed = fileFor([key(1)]);
    changed.header.createdAt = new Date(0).toISOString();
    expect(codeOf(changed)).toBe('EXCHANGE_FILE_TAMPERED');

    const resigned = fileFor([key(1)]);
    resigned.signature = signHeader(resigned.header, stranger.keyPem);
    expect(codeOf(resigned)).toBe('EXCHANGE_FILE_TAMPERED');

    expect(codeOf(fileFor([key(1)], stranger))).toBe('EXCHANGE_WRONG_RECIPIENT');

    const old = issueEncryptionCertificate({ now: new Date(Date.UTC(2001, 0, 1)), serial: 'QKMOLD01', validityDays: 10 });
    const late = fileFor([key(1)]);
    late.header.sender.certificate = old.certPem;
    late.signature = signHeader(late.header, old.keyPem);
    expect(codeOf(late)).toBe('EXCHANGE_FILE_SENDER');

    expect(codeOf({ format: 'qkm-wrapped-keys', version: 1 })).toBe('EXCHANGE_FILE_NOT_KEYS');
    expect(codeOf({ ...fileFor([key(1)]), version: 2 })).toBe('EXCHANGE_FILE_NOT_KEYS');
  });
});

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe("the engine's side of an import", () => {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) removeDir(d);
    dirs = [];
  });

  it('stores all the good keys in one transaction or none, and the peer server gets each with its material', () => {
    dirs = [tempDir(), tempDir()];
    const a = openEngine(dirs[0]!, { serial: 'QKMA1' });
    const b = openEngine(dirs[1]!, { serial: 'QKMB1' });
    try {
      new PeerCopies(a).pairWith('QKMB1');
      new PeerCopies(b).pairWith('QKMA1');
      const objects = new ManagedObjects(a);
      const keys = [key(1), key(2)].map((k) => ({ name: k.name, material: k.material, attributes: [] }));
      expect(() => objects.importKeys('LIBB', keys, () => {
        throw new Error('the warning log could not be written');
      })).toThrow('the warning log');
      expect(() => a.lookup(keys[0]!.name)).toThrow(/No key named/);

      const r = objects.importKeys('LIBB', [...keys, { ...keys[0]!, material: Buffer.alloc(32, 7) }]);
      expect(r).toEqual({ stored: [keys[0]!.name, keys[1]!.name], duplicates: [keys[0]!.name] });
      expect(objects.material('LIBB', keys[0]!.name)).toEqual(Buffer.alloc(32, 1));
      // Readable by LIBB only, never a key to hand out.
      expect(() => objects.material('LIBA', keys[0]!.name)).toThrow(/No key/);
      expect(a.status().find((s) => s.library === 'LIBB')).toMatchObject({ total: 0, unused: 0 });

      new PeerCopies(b).apply('QKMA1', new PeerCopies(a).outgoing(0, 100));
      expect(new ManagedObjects(b).material('LIBB', keys[1]!.name)).toEqual(Buffer.alloc(32, 2));
    } finally {
      a.store.close();
      b.store.close();
    }
  });
});
