/**
 * What the Baseline profile asks of every server beyond keys: the Activation Date rule,
 * Interop and Log (2.x), Query reporting it all, and a general client's keys being held by
 * the next backup (a ticket says so until then). Requests in bytes from the
 * specification's tables (spec-ttlv.ts), at every version qkm speaks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import type { CallerIdentity } from '../../src/kmip/server-handler.js';
import { testBackupKey } from '../helpers/backup-key.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { harness, type Harness } from './operations-client.js';
import { Op, Reason, T, VERSIONS, algorithm, all, answers, at, attributes, d, e, label, length, request, s, t, type Answer, type Item, type Version } from './spec-ttlv.js';

const APP = { library: 'vcenter-1', role: 'general' } satisfies CallerIdentity;

let h: Harness;
const logged: { fields: Record<string, unknown>; msg: string }[] = [];
beforeEach(() => {
  h = harness({ LIB1: 'i500' });
  logged.length = 0;
  // The handler the harness made, again with a logger that keeps what it is told.
  const logger = { info: (fields: Record<string, unknown>, msg: string) => void logged.push({ fields, msg }), warn: () => {}, error: () => {} };
  (h.handler as unknown as { batchDeps: { logger: typeof logger } }).batchDeps.logger = logger;
});
afterEach(() => h.close());

function send(v: Version, items: [number, Item[]][], caller: CallerIdentity = APP): Answer[] {
  const reply = h.handler.handleFrame(caller, request(v, items));
  if (reply === null) throw new Error('the connection was closed');
  return answers(reply);
}

const uidOf = (a: Answer | undefined): string => {
  expect(a?.status, JSON.stringify(a)).toBe(0);
  const u = at(a!.payload, T.UniqueIdentifier);
  return u?.type === 'TextString' ? u.value : '';
};

function createKey(v: Version): string {
  return uidOf(send(v, [[Op.Create, [e(T.ObjectType, 2), attributes(v, [algorithm(3), length(256)])]]])[0]);
}

/** A Modify Attribute of the Activation Date, in the version's form. */
function modifyActivation(v: Version, id: string, seconds: number): [number, Item[]] {
  return v[0] >= 2
    ? [Op.ModifyAttribute, [t(T.UniqueIdentifier, id), s(0x42013d, [d(T.ActivationDate, seconds)])]]
    : [Op.ModifyAttribute, [t(T.UniqueIdentifier, id), s(T.Attribute, [t(T.AttributeName, 'Activation Date'), d(T.AttributeValue, seconds)])]];
}

function addActivation(v: Version, id: string, seconds: number): [number, Item[]] {
  return v[0] >= 2
    ? [Op.AddAttribute, [t(T.UniqueIdentifier, id), s(0x42013d, [d(T.ActivationDate, seconds)])]]
    : [Op.AddAttribute, [t(T.UniqueIdentifier, id), s(T.Attribute, [t(T.AttributeName, 'Activation Date'), d(T.AttributeValue, seconds)])]];
}

function state(v: Version, id: string): number | undefined {
  const a = send(v, [[Op.GetAttributes, [t(T.UniqueIdentifier, id)]]])[0]!;
  if (v[0] >= 2) { const x = at(a.payload, T.Attributes, 0x42008d); return x?.type === 'Enumeration' ? x.value : undefined; }
  const attr = all(a.payload, T.Attribute).find((x) => { const n = at(x, T.AttributeName); return n?.type === 'TextString' && n.value === 'State'; });
  const x = at(attr, T.AttributeValue);
  return x?.type === 'Enumeration' ? x.value : undefined;
}

describe.each(VERSIONS.map((v) => [label(v), v] as const))('Baseline operations at %s', (_, v) => {
  const now = () => Math.floor(h.engine.world.now() / 1000);

  it(`${label(v)}: the Activation Date changes while Pre-Active; afterwards ${v[0] >= 2 ? 'Wrong Key Lifecycle State' : 'Permission Denied'}`, () => {
    const id = createKey(v);
    // v1.x Add Attribute of a single-valued attribute the object has not got yet; 2.x Modify.
    const later = now() + 86_400;
    expect(send(v, [v[0] >= 2 ? modifyActivation(v, id, later) : addActivation(v, id, later)])[0]!.status).toBe(0);
    expect(state(v, id)).toBe(1);
    // A date already past activates the key, as it would at creation.
    expect(send(v, [modifyActivation(v, id, now() - 60)])[0]!.status).toBe(0);
    expect(state(v, id)).toBe(2);
    const refused = send(v, [modifyActivation(v, id, now() + 3600)])[0]!;
    expect(refused.status).toBe(1);
    expect(refused.reason).toBe(v[0] >= 2 ? Reason.WrongKeyLifecycleState : Reason.PermissionDenied);
    expect(state(v, id)).toBe(2);
  });

  it(`${label(v)}: Interop and Log ${v[0] >= 2 ? 'are answered with an empty payload, and Log reaches the audit log' : 'do not exist yet'}`, () => {
    const [begin, logItem, end, reset] = send(v, [
      [Op.Interop, [e(T.InteropFunction, 1), t(T.InteropIdentifier, 'BL-M-1-21')]],
      [Op.Log, [t(T.LogMessage, 'pg_tde rotated its principal key')]],
      [Op.Interop, [e(T.InteropFunction, 2), t(T.InteropIdentifier, 'BL-M-1-21')]],
      [Op.Interop, [e(T.InteropFunction, 3), t(T.InteropIdentifier, 'BL-M-1-21')]],
    ]);
    if (v[0] < 2) {
      expect(begin!.status).toBe(1);
      expect(begin!.reason).toBe(Reason.OperationNotSupported);
      return;
    }
    for (const a of [begin, logItem, end, reset]) {
      expect(a!.status, JSON.stringify(a)).toBe(0);
      expect(a!.payload?.type === 'Structure' && a!.payload.value).toEqual([]);
    }
    expect(logged).toContainEqual(expect.objectContaining({ fields: expect.objectContaining({ audit: 'kmip-log', library: 'vcenter-1', message: expect.stringContaining('pg_tde rotated its principal key') }) }));
    const bad = send(v, [[Op.Interop, [e(T.InteropFunction, 9), t(T.InteropIdentifier, 'x')]]])[0]!;
    expect(bad.reason).toBe(Reason.InvalidField);
  });

  it(`${label(v)}: Query reports Secret Data among the objects and ${v[0] >= 2 ? 'Log and Interop among' : 'every 1.x operation in'} the operations`, () => {
    const q = send(v, [[Op.Query, [e(T.QueryFunction, 1), e(T.QueryFunction, 2)]]])[0]!;
    const values = (tag: number) => all(q.payload, tag).map((x) => (x.type === 'Enumeration' ? x.value : -1));
    expect(values(T.ObjectType)).toEqual([2, 7]);
    const ops = values(T.Operation);
    for (const op of [Op.Create, Op.Register, Op.Locate, Op.Get, Op.GetAttributes, Op.GetAttributeList, Op.AddAttribute, Op.ModifyAttribute, Op.Activate, Op.Revoke, Op.Destroy, Op.Query]) expect(ops).toContain(op);
    expect(ops.includes(Op.Log)).toBe(v[0] >= 2);
    expect(ops.includes(Op.Interop)).toBe(v[0] >= 2);
    expect(ops.includes(Op.DiscoverVersions)).toBe(!(v[0] === 1 && v[1] === 0));
  });
});

describe('a general client\'s keys and the backup', () => {
  it('are durable at once, and the backup-needed ticket stays open until a backup holds them', async () => {
    const v: Version = [2, 0];
    const id = createKey(v);
    // On disk: the object is read back by a second connection to the same keystore file.
    expect(h.engine.store.db.prepare("SELECT COUNT(*) FROM keys WHERE name = ? AND origin = 'registered'").pluck().get(id)).toBe(1);
    const open = () => h.engine.tickets.list({ openOnly: true }).filter((x) => x.condition === 'backup-needed');
    expect(open()).toHaveLength(1);
    expect(open()[0]!.text).toContain('vcenter-1');
    const out = tempDir('qkm-general-backup-');
    try {
      await takeBackup(h.engine, h.engine.world, { toDir: out, backupKey: await testBackupKey(h.engine.world) });
      expect(open()).toHaveLength(0);
      // A key made after the backup opens it again.
      createKey(v);
      expect(open()).toHaveLength(1);
    } finally {
      removeDir(out);
    }
  });
});
