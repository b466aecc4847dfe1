import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Operation, QueryFunction, ResultReason, ResultStatus, State, Tag, findChildren, integer } from '../../src/kmip/ttlv/index.js';
import { wireVector } from './ttlv-golden-vectors.js';
import { decodeResponseMessage } from '../../src/kmip/messages/index.js';
import { V, attr, attributesOf, harness, keyMaterialOf, op, payloadOf, uidOf, uidsOf, type Harness } from './operations-client.js';

let h: Harness;
beforeEach(() => { h = harness(); });
afterEach(() => h.close());

const firstUnused = (library: string): string =>
  h.engine.store.db.prepare("SELECT k.name FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = ? AND k.state = 'unused' AND k.origin = 'local' ORDER BY seq LIMIT 1").pluck().get(library) as string;

describe('Create: the next key of the calling library\'s set', () => {
  for (const v of [V['1.2'], V['2.0']]) {
    it(`Create then Get by ID Placeholder in one batch (KMIP ${v.major}.${v.minor})`, () => {
      const expected = firstUnused('LIB1');
      const r = h.send('LIB1', v, [op.create(v, [attr.asi('0A0B0C'), attr.altName('A00001L8')]), op.get()]);
      expect(r.protocolVersion).toEqual(v);
      expect(r.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);
      expect(uidOf(r.batchItems[0]!)).toBe(expected);
      expect(uidOf(r.batchItems[1]!)).toBe(expected);
      const key = keyMaterialOf(r.batchItems[1]!);
      expect(key.equals(h.engine.lookup(expected).material)).toBe(true);
      expect(h.engine.lookup(expected)).toMatchObject({ state: 'allocated', tape: 'A00001L8' });
    });
  }

  it('a new key is Pre-Active until Activate, and Get Attributes says so', () => {
    const v = V['1.4'];
    const r = h.send('LIB1', v, [op.create(v), op.getAttributes(v, undefined, ['State']), op.activate(), op.getAttributes(v, undefined, ['State'])]);
    expect(attributesOf(r.batchItems[1]!, v).get('State')).toEqual([{ type: 'Enumeration', value: State.PreActive }]);
    expect(attributesOf(r.batchItems[3]!, v).get('State')).toEqual([{ type: 'Enumeration', value: State.Active }]);
  });

  it('a library with no key set gets Operation Failed naming the cause and the ticket; nothing is minted', () => {
    const before = h.engine.store.db.prepare('SELECT COUNT(*) FROM keys').pluck().get();
    const r = h.send('LIB9', V['1.2'], [op.create(V['1.2'])]);
    const b = r.batchItems[0]!;
    expect(b.resultStatus).toBe(ResultStatus.OperationFailed);
    expect(b.resultReason).toBe(ResultReason.GeneralFailure);
    expect(b.resultMessage).toMatch(/Library LIB9 has no key set on this server.*\(ticket \d+\)/);
    expect(h.engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toContain('no-key-set:LIB9');
    expect(h.engine.store.db.prepare('SELECT COUNT(*) FROM keys').pluck().get()).toBe(before);
  });

  it('refuses a tape library any key but AES-256: its keys are its set\'s', () => {
    const v = V['1.2'];
    const r = h.send('LIB1', v, [
      op.createExactly(v, [attr.enum('Cryptographic Algorithm', 3), attr.int('Cryptographic Length', 128)]),
      op.createExactly(v, [attr.enum('Cryptographic Algorithm', 2), attr.int('Cryptographic Length', 168)]),
    ], { batchErrorContinuationOption: 1 });
    expect(r.batchItems.map((b) => b.resultReason)).toEqual([ResultReason.InvalidField, ResultReason.InvalidField]);
    expect(h.engine.status()[0]!.used).toBe(0);
  });
});

describe('Locate (reading a tape)', () => {
  it('by Application Specific Information, then Get by placeholder', () => {
    const v = V['1.2'];
    const made = [0, 1, 2].map((i) => uidOf(h.send('LIB1', v, [op.create(v, [attr.asi(`CAFE0${i}`), attr.altName(`T0000${i}L8`)])]).batchItems[0]!));
    const r = h.send('LIB1', v, [op.locate(v, [attr.asi('CAFE01')]), op.get()]);
    expect(uidsOf(r.batchItems[0]!)).toEqual([made[1]]);
    expect(keyMaterialOf(r.batchItems[1]!).equals(h.engine.lookup(made[1]!).material)).toBe(true);
    const byBarcode = h.send('LIB1', V['2.0'], [op.locate(V['2.0'], [attr.altName('T00002L8')])]);
    expect(uidsOf(byBarcode.batchItems[0]!)).toEqual([made[2]]);
  });

  it('then Get Attributes and Modify Attribute by placeholder', () => {
    const v = V['1.4'];
    h.send('LIB1', v, [op.create(v, [attr.asi('BEEF'), attr.text('x-Barcode', 'A1')])]);
    const r = h.send('LIB1', v, [op.locate(v, [attr.text('x-Barcode', 'A1')]), op.getAttributes(v, undefined, ['x-Barcode']), op.modifyAttribute(v, undefined, attr.text('x-Barcode', 'A2'))]);
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([0, 0, 0]);
    expect(attributesOf(r.batchItems[1]!, v).get('x-Barcode')).toEqual([{ type: 'TextString', value: 'A1' }]);
    expect(uidsOf(h.send('LIB1', v, [op.locate(v, [attr.text('x-Barcode', 'A2')])]).batchItems[0]!)).toHaveLength(1);
  });

  it("ignores another library's key; Get of it is Item Not Found, not Permission Denied", () => {
    const v = V['1.2'];
    const theirs = uidOf(h.send('LIB1', v, [op.create(v, [attr.asi('D00D')])]).batchItems[0]!);
    const r = h.send('LIB2', v, [op.locate(v, [attr.asi('D00D')])]);
    expect(uidsOf(r.batchItems[0]!)).toEqual([]);
    for (const it of [op.get(theirs), op.getAttributes(v, theirs), op.activate(theirs), op.destroy(theirs)]) {
      const b = h.send('LIB2', v, [it]).batchItems[0]!;
      expect(b.resultStatus).toBe(ResultStatus.OperationFailed);
      expect(b.resultReason).toBe(ResultReason.ItemNotFound);
      expect(b.resultMessage).not.toContain('LIB1');
    }
  });

  it('Locate with nothing found, then Get: Item Not Found', () => {
    const r = h.send('LIB1', V['1.2'], [op.locate(V['1.2'], [attr.asi('NOPE')]), op.get()], { batchErrorContinuationOption: 1 });
    expect(uidsOf(r.batchItems[0]!)).toEqual([]);
    expect(r.batchItems[1]!.resultReason).toBe(ResultReason.ItemNotFound);
  });

  it('Maximum Items and Offset Items page through the matches', () => {
    const v = V['1.4'];
    const made = [0, 1, 2, 3].map(() => uidOf(h.send('LIB1', v, [op.create(v, [attr.text('x-pool', 'p')])]).batchItems[0]!));
    const r = h.send('LIB1', v, [op.locate(v, [attr.text('x-pool', 'p')], [integer(Tag.MaximumItems, 2), integer(Tag.OffsetItems, 1)])]);
    expect(uidsOf(r.batchItems[0]!)).toEqual(made.slice(1, 3));
  });
});

describe('lifecycle over KMIP', () => {
  it('Destroy then Get: Item Not Found in 1.x, Object Destroyed in 2.x; metadata stays', () => {
    for (const v of [V['1.2'], V['2.0']]) {
      const id = uidOf(h.send('LIB1', v, [op.create(v, [attr.asi('FEED')])]).batchItems[0]!);
      const r = h.send('LIB1', v, [op.activate(id), op.destroy(id)], { batchErrorContinuationOption: 1 });
      expect(r.batchItems[1]!.resultReason).toBe(v.major >= 2 ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied);
      const d = h.send('LIB1', v, [op.revoke(id, 6), op.destroy(id), op.get(id), op.getAttributes(v, id, ['State'])], { batchErrorContinuationOption: 1 });
      expect(d.batchItems.map((b) => b.resultStatus)).toEqual([0, 0, 1, 0]);
      expect(d.batchItems[2]!.resultReason).toBe(v.major >= 2 ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound);
      const state = v.major >= 2
        ? findChildren(findChildren(payloadOf(d.batchItems[3]!), Tag.Attributes)[0]!, Tag.State)[0]!.value
        : attributesOf(d.batchItems[3]!, v).get('State')![0]!.value;
      expect(state).toBe(State.Destroyed);
    }
  });

  it('Register an imported key, Get it back, Check its usage', () => {
    const v = V['1.2'];
    const material = new Uint8Array(32).fill(0x5a);
    const r = h.send('LIB1', v, [op.register(v, material, [attr.name('imported')]), op.get(), op.check(undefined, 4), op.check(undefined, 0x10)], { batchErrorContinuationOption: 1 });
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([0, 0, 0, 1]);
    expect(keyMaterialOf(r.batchItems[1]!).equals(Buffer.from(material))).toBe(true);
    expect(r.batchItems[3]!.resultReason).toBe(ResultReason.IllegalOperation);
    expect(h.objects.describe('LIB1', uidOf(r.batchItems[0]!)).origin).toBe('registered');
  });
});

describe('Query and Discover Versions', () => {
  it('Query lists operations, objects, server information and the LTO namespaces', () => {
    const r = h.send('LIB1', V['1.0'], [op.query(QueryFunction.QueryOperations, QueryFunction.QueryObjects, QueryFunction.QueryServerInformation, QueryFunction.QueryApplicationNamespaces)]);
    const p = payloadOf(r.batchItems[0]!);
    const ops = findChildren(p, Tag.Operation).map((i) => i.value);
    expect(ops).toContain(Operation.Create);
    expect(ops).not.toContain(Operation.DiscoverVersions); // 1.0 has none
    expect(findChildren(p, Tag.ApplicationNamespace).map((i) => i.value)).toContain('LIBRARY-LTO');
    expect(findChildren(p, Tag.VendorIdentification)[0]!.value).toBe('qkm');
    const v14 = h.send('LIB1', V['1.4'], [op.query(QueryFunction.QueryOperations)]);
    expect(findChildren(payloadOf(v14.batchItems[0]!), Tag.Operation).map((i) => i.value)).toContain(Operation.DiscoverVersions);
  });

  it('Discover Versions answers the common versions in the client\'s order', () => {
    const r = h.send('LIB1', V['1.2'], [op.discover({ major: 1, minor: 4 }, { major: 3, minor: 0 }, { major: 1, minor: 1 })]);
    const versions = findChildren(payloadOf(r.batchItems[0]!), Tag.ProtocolVersion).map((pv) => findChildren(pv, Tag.ProtocolVersionMinor)[0]!.value);
    expect(versions).toEqual([4, 1]);
  });
});

describe("PyKMIP's captured requests", () => {
  it('Create, Locate by Name, Register, Discover Versions and Query succeed as sent by a real client', () => {
    const send = (name: string) => {
      const reply = h.handler.handleFrame({ library: 'LIB1' }, wireVector(name));
      return decodeResponseMessage(reply!);
    };
    const created = send('00-create.req');
    expect(created.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    expect(created.protocolVersion).toEqual(V['1.2']);
    const located = send('02-locate.req');
    expect(uidsOf(located.batchItems[0]!)).toEqual([uidOf(created.batchItems[0]!)]);
    expect(send('05-register.req').batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    expect(send('09-discover_versions.req').batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    expect(send('10-query.req').batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    // its Get names the identifier PyKMIP's server gave its key: not a key of ours
    expect(send('01-get.req').batchItems[0]!.resultReason).toBe(ResultReason.ItemNotFound);
  });
});
