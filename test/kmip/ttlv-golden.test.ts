import { describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  decodeTtlv,
  encodeTtlv,
  findChild,
  findChildren,
  findPath,
  messageLength,
  type TtlvItem,
} from '../../src/kmip/ttlv/index.js';
import { CAPTURE, loadWireVectors, toHex, wireVector } from './ttlv-golden-vectors.js';

const vectors = loadWireVectors();

const expectedOperation: Record<string, number> = {
  create: Operation.Create,
  get: Operation.Get,
  locate: Operation.Locate,
  activate: Operation.Activate,
  get_attributes: Operation.GetAttributes,
  register: Operation.Register,
  revoke: Operation.Revoke,
  destroy: Operation.Destroy,
  get_destroyed_error: Operation.Get,
  discover_versions: Operation.DiscoverVersions,
  query: Operation.Query,
};

function attributeNamed(parent: TtlvItem, name: string): TtlvItem | undefined {
  return findChildren(parent, Tag.Attribute).find((a) => findChild(a, Tag.AttributeName)?.value === name);
}

describe('PyKMIP wire captures through the TTLV codec', () => {
  it('has the full set of captures', () => {
    expect(vectors.length).toBe(22);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      const item = decodeTtlv(v.bytes);

      it('re-encodes to the same bytes', () => {
        expect(toHex(encodeTtlv(item))).toBe(toHex(v.bytes));
      });

      it('frames to its own length', () => {
        expect(messageLength(v.bytes.subarray(0, 8))).toBe(v.bytes.length);
      });

      it('is a KMIP 1.2 message of one batch item with the expected operation', () => {
        const isRequest = v.kind === 'req';
        expect(item.tag).toBe(isRequest ? Tag.RequestMessage : Tag.ResponseMessage);
        const header = isRequest ? Tag.RequestHeader : Tag.ResponseHeader;
        expect(findPath(item, header, Tag.ProtocolVersion, Tag.ProtocolVersionMajor)).toMatchObject({ type: 'Integer', value: 1 });
        expect(findPath(item, header, Tag.ProtocolVersion, Tag.ProtocolVersionMinor)).toMatchObject({ type: 'Integer', value: 2 });
        expect(findPath(item, header, Tag.BatchCount)).toMatchObject({ type: 'Integer', value: 1 });
        expect(findChildren(item, Tag.BatchItem)).toHaveLength(1);
        expect(findPath(item, Tag.BatchItem, Tag.Operation)).toMatchObject({
          type: 'Enumeration',
          value: expectedOperation[v.op],
        });
        if (!isRequest) {
          expect(findPath(item, header, Tag.TimeStamp)).toMatchObject({ type: 'DateTime', value: CAPTURE.timeStamp });
        }
      });
    });
  }

  it('reads the Create request template: AES, 256 bits, Encrypt|Decrypt, name TAPE-KEY-A', () => {
    const req = decodeTtlv(wireVector('00-create.req'));
    const payload = findPath(req, Tag.BatchItem, Tag.RequestPayload)!;
    expect(findChild(payload, Tag.ObjectType)).toMatchObject({ type: 'Enumeration', value: ObjectType.SymmetricKey });
    const template = findChild(payload, Tag.TemplateAttribute)!;
    expect(findChild(attributeNamed(template, 'Cryptographic Algorithm')!, Tag.AttributeValue)).toMatchObject({
      type: 'Enumeration',
      value: CryptographicAlgorithm.AES,
    });
    expect(findChild(attributeNamed(template, 'Cryptographic Length')!, Tag.AttributeValue)).toMatchObject({
      type: 'Integer',
      value: 256,
    });
    expect(findChild(attributeNamed(template, 'Cryptographic Usage Mask')!, Tag.AttributeValue)?.value).toBe(12);
    const name = findChild(attributeNamed(template, 'Name')!, Tag.AttributeValue)!;
    expect(findChild(name, Tag.NameValue)).toMatchObject({ type: 'TextString', value: 'TAPE-KEY-A' });
    expect(findChild(name, Tag.NameType)).toMatchObject({ type: 'Enumeration', value: 1 });
  });

  it('reads the key material out of the Get response', () => {
    const resp = decodeTtlv(wireVector('01-get.resp'));
    const payload = findPath(resp, Tag.BatchItem, Tag.ResponsePayload)!;
    expect(findChild(payload, Tag.UniqueIdentifier)).toMatchObject({ type: 'TextString', value: CAPTURE.uid });
    const material = findPath(payload, Tag.SymmetricKey, Tag.KeyBlock, Tag.KeyValue, Tag.KeyMaterial)!;
    expect(material.type).toBe('ByteString');
    expect(toHex(material.value as Uint8Array)).toBe(CAPTURE.keyMaterialHex);
    expect(findPath(payload, Tag.SymmetricKey, Tag.KeyBlock, Tag.CryptographicLength)?.value).toBe(256);
  });

  it('reads the failure of a Get on a destroyed key', () => {
    const resp = decodeTtlv(wireVector('08-get_destroyed_error.resp'));
    const item = findChild(resp, Tag.BatchItem)!;
    expect(findChild(item, Tag.ResultStatus)?.value).toBe(ResultStatus.OperationFailed);
    expect(findChild(item, Tag.ResultReason)?.value).toBe(ResultReason.ItemNotFound);
    expect(findChild(item, Tag.ResultMessage)?.value).toBe(`Could not locate object: ${CAPTURE.uid}`);
    expect(findChild(item, Tag.ResponsePayload)).toBeUndefined();
  });

  it('reads the six versions PyKMIP offers in Discover Versions', () => {
    const resp = decodeTtlv(wireVector('09-discover_versions.resp'));
    const versions = findChildren(findPath(resp, Tag.BatchItem, Tag.ResponsePayload)!, Tag.ProtocolVersion).map(
      (v) => `${findChild(v, Tag.ProtocolVersionMajor)?.value}.${findChild(v, Tag.ProtocolVersionMinor)?.value}`,
    );
    expect(versions).toEqual(['2.0', '1.4', '1.3', '1.2', '1.1', '1.0']);
  });

  it('reads the Revoke reason and the Get Attributes names', () => {
    const revoke = decodeTtlv(wireVector('06-revoke.req'));
    expect(findPath(revoke, Tag.BatchItem, Tag.RequestPayload, Tag.RevocationReason, Tag.RevocationReasonCode)?.value).toBe(6);
    const getAttrs = decodeTtlv(wireVector('04-get_attributes.req'));
    const names = findChildren(findPath(getAttrs, Tag.BatchItem, Tag.RequestPayload)!, Tag.AttributeName).map((n) => n.value);
    expect(names).toEqual(['State', 'Name']);
  });
});
