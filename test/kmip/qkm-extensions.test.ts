/**
 * qkm's vendor extensions of KMIP (docs/kmip-extensions.md): Generate Library Keys, Key
 * Usage and the Config Test, answered for a library's certificate only. Through the
 * request handler, and once over TLS against a real qkmd with a certificate of the
 * appliance CA that names no library.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryBundle, startKeyServer } from '../../harness/library.js';
import { buildCertificate } from '../../src/pki/x509-builder.js';
import { generateRsaKeyPair } from '../../src/pki/key-pair.js';
import { readBundle } from '../../src/library/bundle.js';
import { decodeResponseMessage, encodeRequestMessage, type RequestBatchItem, type ResponseMessage } from '../../src/kmip/messages/index.js';
import { QkmOperation, QkmTag } from '../../src/kmip/qkm-extensions.js';
import { Operation, QueryFunction, ResultReason, ResultStatus, Tag, enumeration, findChild, structure, textString, type TtlvItem } from '../../src/kmip/ttlv/index.js';
import { exchangeFrame } from '../helpers/kmip-tls.js';
import { AuditLog } from '../../src/logs/audit.js';
import { verifyAudit } from '../../src/logs/audit-verify.js';
import { KmipRequestHandler } from '../../src/kmip/server-handler.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type Harness, V, attr, harness, item, op } from './operations-client.js';

const generate = (cls: string) => item(QkmOperation.GenerateLibraryKeys, [textString(QkmTag.LibraryClass, cls)]);
const usage = () => item(QkmOperation.KeyUsage, []);
const check = () => item(QkmOperation.CheckKeystore, []);

function field(answer: { payload?: TtlvItem[] }, tag: number): unknown {
  return findChild(structure(Tag.ResponsePayload, answer.payload ?? []), tag)?.value;
}

/** Through handleFrameCommitted, as qkmd serves it (the Config Test is answered asynchronously there). */
async function sendCommitted(h: Harness, library: string, items: RequestBatchItem[]): Promise<ResponseMessage> {
  const bytes = encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: items.length }, batchItems: items });
  const reply = await h.handler.handleFrameCommitted({ library }, bytes, async (work) => h.objects.transaction(work));
  return decodeResponseMessage(reply!);
}

let h: Harness | undefined;
let dirs: string[] = [];
afterEach(() => {
  h?.close();
  h = undefined;
  for (const d of dirs) removeDir(d);
  dirs = [];
});

describe('qkm vendor extensions', () => {
  it('Generate Library Keys makes the library a set of its class once, then says it has enough; Key Usage counts what is used', async () => {
    h = harness({});
    const first = (await sendCommitted(h, 'LIB9', [generate('i500')])).batchItems[0]!;
    expect(first.resultStatus, first.resultMessage).toBe(ResultStatus.Success);
    expect([field(first, QkmTag.Generated), field(first, QkmTag.KeyCount)]).toEqual([true, 64]);
    expect(h.engine.status()).toMatchObject([{ library: 'LIB9', class: 'i500', total: 64 }]);
    const again = (await sendCommitted(h, 'LIB9', [generate('i500')])).batchItems[0]!;
    expect([field(again, QkmTag.Generated), field(again, QkmTag.KeyCount)]).toEqual([false, 64]);

    h.engine.store.db.prepare('UPDATE key_sets SET backed_up_at = 1').run();
    const r = h.send('LIB9', V['1.2'], [op.create(V['1.2'], [attr.altName('TAPE01L8')]), usage()]);
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    expect([field(r.batchItems[1]!, QkmTag.KeysTotal), field(r.batchItems[1]!, QkmTag.KeysUsed)]).toEqual([64, 1]);

    const bad = (await sendCommitted(h, 'LIB9', [generate('i9000')])).batchItems[0]!;
    expect(bad.resultReason).toBe(ResultReason.InvalidField);
    expect(bad.resultMessage).toContain('i500, i2000');
  });

  it('a generation a library asks for is in the audit log, named by the library, before it is answered', async () => {
    h = harness({});
    const audit = new AuditLog(h.dir, { program: 'qkmd' });
    const handler = new KmipRequestHandler({ objects: h.objects, audit: (f) => void audit.record(f) });
    const send = async (items: RequestBatchItem[]) => {
      const bytes = encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: items.length }, batchItems: items });
      return decodeResponseMessage((await handler.handleFrameCommitted({ library: 'LIB9' }, bytes, async (work) => h!.objects.transaction(work)))!);
    };
    await send([generate('i500')]);
    await send([generate('i500'), usage()]);
    await send([generate('i9000')]);
    const entries = readFileSync(path.join(h.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map(({ action, actor, details }) => ({ action, actor, details }))).toEqual([
      { action: 'keys generate', actor: 'LIB9', details: { via: 'KMIP', library: 'LIB9', generated: 64 } },
      { action: 'keys generate', actor: 'LIB9', details: { via: 'KMIP', library: 'LIB9', generated: 0, unused: 64 } },
    ]);
    expect(verifyAudit(h.dir).intact).toBe(true);
  });

  it('the Config Test passes on a sound keystore and names a damaged key record', async () => {
    h = harness({ LIB1: 'i500' });
    const good = (await sendCommitted(h, 'LIB1', [check()])).batchItems[0]!;
    expect(good.resultStatus).toBe(ResultStatus.Success);
    expect([field(good, QkmTag.CheckPassed), field(good, QkmTag.KeysChecked), field(good, QkmTag.ProblemCount)]).toEqual([true, 64, 0]);

    const victim = h.engine.store.db.prepare('SELECT name, sealed FROM keys LIMIT 1').get() as { name: string; sealed: Buffer };
    victim.sealed[5]! ^= 1;
    h.engine.store.db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(victim.sealed, victim.name);
    const bad = (await sendCommitted(h, 'LIB1', [check()])).batchItems[0]!;
    expect([field(bad, QkmTag.CheckPassed), field(bad, QkmTag.ProblemCount)]).toEqual([false, 1]);
    expect(String(field(bad, QkmTag.Problem))).toContain(victim.name);
  });

  it('refuses all three to a certificate that names no library, and Query does not list them', async () => {
    h = harness({ LIB1: 'i500' });
    const peer = 'qkm peer B';
    for (const request of [generate('i500'), usage(), check()]) {
      const answer = (await sendCommitted(h, peer, [request])).batchItems[0]!;
      expect(answer.resultStatus).toBe(ResultStatus.OperationFailed);
      expect(answer.resultReason).toBe(ResultReason.PermissionDenied);
    }
    expect(h.engine.status().map((s) => s.library)).toEqual(['LIB1']);
    const query = h.send('LIB1', V['1.2'], [item(Operation.Query, [enumeration(Tag.QueryFunction, QueryFunction.QueryOperations)])]);
    const listed = (query.batchItems[0]!.payload ?? []).map((i) => i.value as number);
    expect(listed).toContain(Operation.Create);
    expect(listed.filter((o) => o >= 0x8000_0000)).toEqual([]);
  });

  it('over TLS, a real qkmd honours Generate Library Keys from a library certificate and refuses it from another certificate of its CA', async () => {
    const root = tempDir('qkm-ext-');
    dirs.push(root);
    const server = await startKeyServer(path.join(root, 'a'));
    try {
      const tlsDir = path.join(server.dataDir, 'tls');
      const ca = { certPem: readFileSync(path.join(tlsDir, 'ca.pem'), 'utf8'), keyPem: readFileSync(path.join(tlsDir, 'ca.key'), 'utf8') };
      const keys = generateRsaKeyPair(2048);
      const now = Date.now();
      const peerCert = buildCertificate({
        subject: { commonName: 'qkm peer B' },
        issuerCertPem: ca.certPem,
        issuerPrivateKeyPem: ca.keyPem,
        subjectPublicKeyPem: keys.publicKeyPem,
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + 86_400_000),
        extensions: [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', clientAuth: true }],
      });
      const library = await readBundle(await libraryBundle(server.dataDir, 'LIB1', path.join(root, 'LIB1.tgz')));
      const request = encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: 1 }, batchItems: [generate('i2000')] });
      const ask = async (cert: string | Buffer, key: string | Buffer) =>
        decodeResponseMessage(await exchangeFrame({ host: '127.0.0.1', port: server.port, ca: ca.certPem, cert, key }, request)).batchItems[0]!;

      const refused = await ask(peerCert, keys.privateKeyPem);
      expect(refused.resultReason).toBe(ResultReason.PermissionDenied);
      const honoured = await ask(library.cert, library.key);
      expect(honoured.resultStatus, honoured.resultMessage).toBe(ResultStatus.Success);
      expect(field(honoured, QkmTag.KeyCount)).toBe(4096);
    } finally {
      await server.process.stop();
    }
  });
});
