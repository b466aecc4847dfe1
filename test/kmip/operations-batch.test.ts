import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeResponseMessage, encodeRequestMessage, type RequestBatchItem } from '../../src/kmip/messages/index.js';
import { ObjectType, Operation, ResultReason, ResultStatus, Tag, UniqueIdentifierEnum, enumeration, structure, textString } from '../../src/kmip/ttlv/index.js';
import { GroupCommit } from '../../src/engine/group-commit.js';
import { V, attr, harness, item, op, uidOf, uidsOf, type Harness } from './operations-client.js';

let h: Harness;
beforeEach(() => { h = harness(); });
afterEach(() => h.close());

const Continue = 1;
const Stop = 2;
const Undo = 3;
const used = () => h.engine.status().find((s) => s.library === 'LIB1')!.used;
const snapshot = () => ['keys', 'objects', 'attributes', 'libraries'].map((t) => h.engine.store.db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all());

describe('batches', () => {
  it('echo every Unique Batch Item ID, in order', () => {
    const items = [op.query(1), op.create(V['1.2']), op.get()];
    const r = h.send('LIB1', V['1.2'], items);
    expect(r.batchItems.map((b) => Buffer.from(b.uniqueBatchItemId!).toString('hex'))).toEqual(items.map((i) => Buffer.from(i.uniqueBatchItemId!).toString('hex')));
    expect(r.batchItems.map((b) => b.operation)).toEqual([Operation.Query, Operation.Create, Operation.Get]);
  });

  it('Stop (the default) ends at the failed item and keeps what came before', () => {
    const r = h.send('LIB1', V['1.2'], [op.create(V['1.2']), op.get('no-such-key'), op.create(V['1.2'])], { batchErrorContinuationOption: Stop });
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.OperationFailed]);
    expect(used()).toBe(1);
  });

  it('Continue runs every item', () => {
    const r = h.send('LIB1', V['1.2'], [op.create(V['1.2']), op.get('no-such-key'), op.create(V['1.2'])], { batchErrorContinuationOption: Continue });
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([0, 1, 0]);
    expect(used()).toBe(2);
  });

  it('Undo rolls back the items before the failure and reports them undone', () => {
    const before = snapshot();
    const r = h.send('LIB1', V['1.4'], [op.create(V['1.4']), op.create(V['1.4']), op.get('no-such-key'), op.create(V['1.4'])], { batchErrorContinuationOption: Undo });
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.OperationUndone, ResultStatus.OperationUndone, ResultStatus.OperationFailed]);
    // An undone item still carries what it answered before the rollback (KMIP: its Response Payload stays).
    expect(uidOf(r.batchItems[0]!)).toMatch(/^QKMTEST01-/);
    expect(uidOf(r.batchItems[1]!)).not.toBe(uidOf(r.batchItems[0]!));
    expect(snapshot()).toEqual(before);
  });

  it('Undo keeps the ticket of a refused Create', () => {
    h.send('LIB9', V['1.2'], [op.query(1), op.create(V['1.2'])], { batchErrorContinuationOption: Undo });
    expect(h.engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toContain('no-key-set:LIB9');
  });

  it('a 2.x Unique Identifier may name the ID Placeholder or an earlier Create by enumeration', () => {
    const v = V['2.0'];
    const byEnum = (e: number) => item(Operation.Get, [enumeration(Tag.UniqueIdentifier, e)]);
    const r = h.send('LIB1', v, [op.create(v), op.query(1), byEnum(UniqueIdentifierEnum.IDPlaceholder), byEnum(UniqueIdentifierEnum.Create), byEnum(UniqueIdentifierEnum.Locate)], { batchErrorContinuationOption: Continue });
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([0, 0, 0, 0, 1]);
    expect(uidOf(r.batchItems[2]!)).toBe(uidOf(r.batchItems[0]!));
    expect(uidOf(r.batchItems[3]!)).toBe(uidOf(r.batchItems[0]!));
  });

  it('a failed Create leaves no placeholder for the Get after it', () => {
    const r = h.send('LIB9', V['1.2'], [op.create(V['1.2']), op.get()], { batchErrorContinuationOption: Continue });
    expect(r.batchItems[1]!.resultReason).toBe(ResultReason.ItemNotFound);
  });
});

describe('bad input at the operation level', () => {
  it('a batch of 10,000 items is refused whole, and nothing is allocated', () => {
    for (const [v, reason] of [[V['1.2'], ResultReason.InvalidMessage], [V['2.0'], ResultReason.ServerLimitExceeded]] as const) {
      const tiny: RequestBatchItem = { operation: Operation.Create, payload: structure(Tag.RequestPayload, [enumeration(Tag.ObjectType, ObjectType.SymmetricKey)]) };
      const bytes = encodeRequestMessage({ header: { protocolVersion: v, batchCount: 10_000 }, batchItems: Array(10_000).fill(tiny) });
      expect(bytes.length).toBeLessThan(1024 * 1024); // refused for its count, not its size
      const r = decodeResponseMessage(h.handler.handleFrame({ library: 'LIB1' }, bytes)!);
      expect(r.protocolVersion).toEqual(v);
      expect(r.batchItems).toHaveLength(1);
      expect(r.batchItems[0]!.resultReason).toBe(reason);
      expect(used()).toBe(0);
    }
  });

  it('an unknown operation is Operation Not Supported, echoed, and the batch goes on when asked to', () => {
    const r = h.send('LIB1', V['1.4'], [item(Operation.Encrypt, []), item(0x8fffffff, []), op.query(1)], { batchErrorContinuationOption: Continue });
    expect(r.batchItems.map((b) => b.resultReason)).toEqual([ResultReason.OperationNotSupported, ResultReason.OperationNotSupported, undefined]);
    expect(r.batchItems[1]!.operation).toBe(0x8fffffff);
    expect(r.batchItems[0]!.resultMessage).toMatch(/Encrypt/);
  });

  it('bytes that are not KMIP close the connection; a broken request gets Invalid Message in its version', () => {
    expect(h.handler.handleFrame({ library: 'LIB1' }, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeNull();
    const good = encodeRequestMessage({ header: { protocolVersion: V['1.4'], batchCount: 1 }, batchItems: [op.query(1)] });
    const broken = Buffer.from(good);
    broken.writeUInt32BE(0xffff, broken.length - 12); // a length that runs past its parent
    const r = decodeResponseMessage(h.handler.handleFrame({ library: 'LIB1' }, broken)!);
    expect(r.protocolVersion).toEqual(V['1.4']);
    expect(r.batchItems[0]!.resultReason).toBe(ResultReason.InvalidMessage);
  });

  it('a request over the size bound gets Invalid Message naming the bound, in its version when its head shows it', () => {
    const request = encodeRequestMessage({ header: { protocolVersion: V['1.4'], batchCount: 1 }, batchItems: [op.query(1)] });
    const head = Buffer.from(request.subarray(0, 64));
    head.writeUInt32BE(2 * 1024 * 1024, 4); // what a client sending two megabytes would claim
    const r = decodeResponseMessage(h.handler.handleOversize({ head, claimedBytes: 8 + 2 * 1024 * 1024, maxFrameBytes: 1024 * 1024 })!);
    expect(r.protocolVersion).toEqual(V['1.4']);
    expect(r.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.InvalidMessage });
    expect(r.batchItems[0]!.resultMessage).toMatch(/2097160 bytes, over this server's limit of 1048576 bytes/);
    // Only the 8-byte header arrived: still answered, in the oldest version.
    expect(decodeResponseMessage(h.handler.handleOversize({ head: head.subarray(0, 8), claimedBytes: 2097160, maxFrameBytes: 1048576 })!).protocolVersion).toEqual(V['1.0']);
    // Not a KMIP request at all: no answer.
    expect(h.handler.handleOversize({ head: Buffer.from('16030100ffffffff', 'hex'), claimedBytes: 4294967304, maxFrameBytes: 1048576 })).toBeNull();
  });

  it('a Maximum Response Size too small for the answer is Response Too Large', () => {
    const r = h.send('LIB1', V['1.2'], [op.query(1, 2, 3, 4)], { maximumResponseSize: 64 });
    expect(r.batchItems[0]!.resultReason).toBe(ResultReason.ResponseTooLarge);
  });

  it('a certificate that names no valid library may Query but not touch keys (Permission Denied)', () => {
    const r = h.send('bad name!', V['1.2'], [op.query(1), op.create(V['1.2']), op.get('x')], { batchErrorContinuationOption: Continue });
    expect(r.batchItems.map((b) => b.resultReason)).toEqual([undefined, ResultReason.PermissionDenied, ResultReason.PermissionDenied]);
  });

  it('a wrongly typed Unique Identifier or payload field is Invalid Field', () => {
    const r = h.send('LIB1', V['1.2'], [item(Operation.Get, [enumeration(Tag.UniqueIdentifier, 1)]), item(Operation.Create, [textString(Tag.ObjectType, 'key')])], { batchErrorContinuationOption: Continue });
    expect(r.batchItems.map((b) => b.resultReason)).toEqual([ResultReason.InvalidField, ResultReason.InvalidField]);
  });
});

describe('protocol versions', () => {
  it('answers 1.0 (no Discover Versions there), 1.2, 1.4, 2.0 and 2.1 in the version asked', () => {
    const r10 = h.send('LIB1', V['1.0'], [op.discover(), op.query(1)], { batchErrorContinuationOption: Continue });
    expect(r10.protocolVersion).toEqual(V['1.0']);
    expect(r10.batchItems.map((b) => b.resultReason)).toEqual([ResultReason.OperationNotSupported, undefined]);
    for (const v of [V['1.2'], V['1.4'], V['2.0'], { major: 2, minor: 1 }]) {
      const r = h.send('LIB1', v, [op.discover(), op.create(v), op.get()]);
      expect(r.protocolVersion).toEqual(v);
      expect(r.batchItems.map((b) => b.resultStatus)).toEqual([0, 0, 0]);
    }
  });

  it('a version it does not speak gets Unsupported Protocol Version in the nearest one it does', () => {
    const r = h.send('LIB1', { major: 3, minor: 0 }, [op.query(1)]);
    expect(r.protocolVersion).toEqual({ major: 2, minor: 1 });
    expect(r.batchItems[0]!.resultReason).toBe(ResultReason.UnsupportedProtocolVersion);
  });
});

describe('pipelined requests on one connection', () => {
  const frame = (items: RequestBatchItem[]) => encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: items.length }, batchItems: items });

  it('share one durable commit, run in order, and a Locate sees the Create sent before it', async () => {
    const group = new GroupCommit(h.engine.store.db);
    const queued: number[] = [];
    let ran = 0;
    const commit = <T>(work: () => T) => {
      queued.push(ran); // how many works had run when this one was queued
      return group.run(() => {
        ran++;
        return work();
      });
    };
    const creates = [1, 2, 3].map((i) => frame([op.create(V['1.2'], [attr.asi(`TAPE${i}`)])]));
    const locate = frame([op.locate(V['1.2'], [attr.asi('TAPE3')])]);
    const replies = (await h.handler.handleFramesCommitted({ library: 'LIB1' }, [...creates, locate], commit)).map((r) => decodeResponseMessage(r!));
    expect(queued).toEqual([0, 0, 0, 0]); // all four queued before any ran: one transaction, one fsync
    expect(replies.map((r) => r.batchItems[0]!.resultStatus)).toEqual(Array(4).fill(ResultStatus.Success));
    expect(uidsOf(replies[3]!.batchItems[0]!)).toEqual([uidOf(replies[2]!.batchItems[0]!)]);
    expect(used()).toBe(3);
  });

  it('reads alone are answered at once, without the commit', async () => {
    const commit = () => Promise.reject(new Error('a read must not need a commit'));
    const replies = await h.handler.handleFramesCommitted({ library: 'LIB1' }, [frame([op.query(1)]), frame([op.query(2)])], commit);
    expect(replies.map((r) => decodeResponseMessage(r!).batchItems[0]!.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);
  });

  it('bytes that are not KMIP end the run: what came before is answered, what came after never runs', async () => {
    const group = new GroupCommit(h.engine.store.db);
    const commit = <T>(work: () => T) => group.run(work);
    const replies = await h.handler.handleFramesCommitted({ library: 'LIB1' },
      [frame([op.create(V['1.2'])]), Buffer.from('GET / HTTP/1.1\r\n\r\n'), frame([op.create(V['1.2'])])], commit);
    expect(replies).toHaveLength(2);
    expect(decodeResponseMessage(replies[0]!).batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    expect(replies[1]).toBeNull();
    expect(used()).toBe(1);
  });
});
