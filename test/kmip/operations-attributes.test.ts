import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KmipAttribute } from '../../src/kmip/messages/index.js';
import { ResultReason, Tag, findChildren } from '../../src/kmip/ttlv/index.js';
import { V, attr, attributesOf, harness, op, payloadOf, uidOf, uidsOf, type Harness } from './operations-client.js';

let h: Harness;
beforeEach(() => { h = harness(); });
afterEach(() => h.close());

const Continue = 1;
const snapshot = () => ['keys', 'objects', 'attributes', 'libraries', 'tickets'].map((t) => h.engine.store.db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all());

/** 30 custom attributes: ten each of Text String (300 characters), Integer and Date-Time. */
function thirtyCustom(): KmipAttribute[] {
  const out: KmipAttribute[] = [];
  for (let i = 0; i < 10; i++) {
    out.push(attr.text(`x-note-${i}`, `${i}:`.padEnd(300, 'abcdefghij')));
    out.push(attr.int(`x-count-${i}`, 2 ** 30 - i));
    out.push(attr.date(`x-written-${i}`, 1_795_485_366n + BigInt(i)));
  }
  return out;
}

describe('custom attributes', () => {
  it('30 of them, 255+ characters, each type, round-trip unchanged in 1.x and 2.x', () => {
    const custom = thirtyCustom();
    const id = uidOf(h.send('LIB1', V['1.4'], [op.create(V['1.4'], custom)]).batchItems[0]!);
    const v1 = attributesOf(h.send('LIB1', V['1.4'], [op.getAttributes(V['1.4'], id)]).batchItems[0]!, V['1.4']);
    const v2 = attributesOf(h.send('LIB1', V['2.0'], [op.getAttributes(V['2.0'], id)]).batchItems[0]!, V['2.0']);
    for (const c of custom) {
      expect(v1.get(c.name), c.name).toEqual([c.value]);
      expect(v2.get(c.name), c.name).toEqual([c.value]); // 2.x: vendor "x", name after the dash
    }
  });

  it('added in 2.x as a vendor attribute, read back in 1.x by its x- name; Locate finds it typed', () => {
    const id = uidOf(h.send('LIB1', V['2.0'], [op.create(V['2.0'])]).batchItems[0]!);
    const r = h.send('LIB1', V['2.0'], [op.addAttribute(V['2.0'], id, attr.date('x-Written', 1_800_000_000n))]);
    expect(r.batchItems[0]!.resultStatus).toBe(0);
    const got = attributesOf(h.send('LIB1', V['1.2'], [op.getAttributes(V['1.2'], id, ['x-Written'])]).batchItems[0]!, V['1.2']);
    expect(got.get('x-Written')).toEqual([{ type: 'DateTime', value: 1_800_000_000n }]);
    expect(uidsOf(h.send('LIB1', V['1.2'], [op.locate(V['1.2'], [attr.date('x-Written', 1_800_000_000n)])]).batchItems[0]!)).toEqual([id]);
    expect(uidsOf(h.send('LIB1', V['1.2'], [op.locate(V['1.2'], [attr.int('x-Written', 1_800_000_000)])]).batchItems[0]!)).toEqual([]);
  });

  it('1.x Add returns the new instance with its index; Delete by index returns what it removed', () => {
    const v = V['1.2'];
    const id = uidOf(h.send('LIB1', v, [op.create(v, [attr.text('x-tag', 'a')])]).batchItems[0]!);
    const added = h.send('LIB1', v, [op.addAttribute(v, id, attr.text('x-tag', 'b'))]).batchItems[0]!;
    const index = findChildren(findChildren(payloadOf(added), Tag.Attribute)[0]!, Tag.AttributeIndex)[0]!.value;
    expect(index).toBe(1);
    const deleted = h.send('LIB1', v, [op.deleteAttribute1(id, 'x-tag', 0)]).batchItems[0]!;
    expect(attributesOf(deleted, v).get('x-tag')).toEqual([{ type: 'TextString', value: 'a' }]);
    expect(attributesOf(h.send('LIB1', v, [op.getAttributes(v, id, ['x-tag'])]).batchItems[0]!, v).get('x-tag')).toEqual([{ type: 'TextString', value: 'b' }]);
  });

  it('Get Attribute List names them: Attribute Names in 1.x, Attribute References in 2.x', () => {
    const id = uidOf(h.send('LIB1', V['1.2'], [op.create(V['1.2'], [attr.asi('AB'), attr.text('x-Barcode', 'Z1')])]).batchItems[0]!);
    const v1 = findChildren(payloadOf(h.send('LIB1', V['1.2'], [op.getAttributeList(id)]).batchItems[0]!), Tag.AttributeName).map((n) => n.value);
    expect(v1).toEqual(expect.arrayContaining(['State', 'Application Specific Information', 'x-Barcode', 'Unique Identifier']));
    const v2 = findChildren(payloadOf(h.send('LIB1', V['2.0'], [op.getAttributeList(id)]).batchItems[0]!), Tag.AttributeReference);
    // 2.x adds the two attributes it brought, which the server sets: Key Format Type and Protection Storage Mask.
    expect(v2.length).toBe(v1.length + 2);
  });
});

describe('attributes refused, keystore unchanged', () => {
  it('a wrongly typed standard attribute: Invalid Field in 1.x, Invalid Attribute Value in 2.x', () => {
    for (const [v, reason] of [[V['1.2'], ResultReason.InvalidField], [V['2.0'], ResultReason.InvalidAttributeValue]] as const) {
      const id = uidOf(h.send('LIB1', v, [op.create(v, [attr.text('Contact Information', 'ops')])]).batchItems[0]!);
      const before = snapshot();
      const r = h.send('LIB1', v, [
        op.create(v, [attr.text('Cryptographic Length', '256')]),
        op.create(v, [{ name: 'Application Specific Information', value: { type: 'TextString', value: 'LIBRARY-LTO' } }]),
        op.addAttribute(v, id, attr.int('Object Group', 7)),
        op.modifyAttribute(v, id, attr.int('Contact Information', 1)),
      ], { batchErrorContinuationOption: Continue });
      expect(r.batchItems.map((b) => b.resultReason)).toEqual([reason, reason, reason, reason]);
      expect(snapshot()).toEqual(before);
    }
  });

  it('a custom attribute keeps its type: Modify with another type is refused', () => {
    const v = V['1.4'];
    const id = uidOf(h.send('LIB1', v, [op.create(v, [attr.int('x-slot', 3)])]).batchItems[0]!);
    const before = snapshot();
    expect(h.send('LIB1', v, [op.modifyAttribute(v, id, attr.text('x-slot', '3'))]).batchItems[0]!.resultReason).toBe(ResultReason.InvalidField);
    expect(snapshot()).toEqual(before);
  });

  it('a server attribute: Permission Denied in 1.x, Attribute Read Only in 2.x', () => {
    for (const [v, reason] of [[V['1.2'], ResultReason.PermissionDenied], [V['2.0'], ResultReason.AttributeReadOnly]] as const) {
      const id = uidOf(h.send('LIB1', v, [op.create(v)]).batchItems[0]!);
      const before = snapshot();
      const r = h.send('LIB1', v, [op.modifyAttribute(v, id, attr.enum('State', 2)), op.addAttribute(v, id, attr.int('Cryptographic Usage Mask', 4))], { batchErrorContinuationOption: Continue });
      expect(r.batchItems.map((b) => b.resultReason)).toEqual([reason, reason]);
      expect(snapshot()).toEqual(before);
    }
  });

  it('an attribute this server does not keep: Invalid Field in 1.x, Unsupported Attribute in 2.x', () => {
    for (const [v, reason] of [[V['1.2'], ResultReason.InvalidField], [V['2.0'], ResultReason.UnsupportedAttribute]] as const) {
      const before = snapshot();
      const r = h.send('LIB1', v, [op.create(v, [attr.date('Archive Date', 1n)])]);
      expect(r.batchItems[0]!.resultReason).toBe(reason);
      expect(snapshot()).toEqual(before);
    }
  });

  it('a second value for a single-valued attribute: Illegal Operation in 1.x, Attribute Single Valued in 2.x', () => {
    for (const [v, reason] of [[V['1.2'], ResultReason.IllegalOperation], [V['2.0'], ResultReason.AttributeSingleValued]] as const) {
      const id = uidOf(h.send('LIB1', v, [op.create(v, [attr.text('Contact Information', 'a')])]).batchItems[0]!);
      expect(h.send('LIB1', v, [op.addAttribute(v, id, attr.text('Contact Information', 'b'))]).batchItems[0]!.resultReason).toBe(reason);
    }
  });
});
