import { describe, expect, it } from 'vitest';
import {
  KmipMessageError,
  attributeToV1,
  attributesInPayload,
  decodeRequestMessage,
  decodeResponseMessage,
  echoOf,
  encodeRequestMessage,
  encodeResponseMessage,
} from '../../src/kmip/messages/index.js';
import {
  CryptographicAlgorithm,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  State,
  Tag,
  enumeration,
  findChild,
  findChildren,
  textString,
  withTag,
} from '../../src/kmip/ttlv/index.js';
import { CAPTURE, loadWireVectors, toHex, wireVector } from './ttlv-golden-vectors.js';

const KMIP_1_2 = { major: 1, minor: 2 };
const PYKMIP_TIME = new Date(Number(CAPTURE.timeStamp) * 1000);

describe('PyKMIP requests through the message layer', () => {
  for (const v of loadWireVectors().filter((x) => x.kind === 'req')) {
    it(`${v.name}: decodes to plain values and encodes back byte for byte`, () => {
      const req = decodeRequestMessage(v.bytes);
      expect(req.header).toEqual({ protocolVersion: KMIP_1_2, batchCount: 1 });
      expect(req.batchItems).toHaveLength(1);
      expect(req.batchItems[0]!.payload.tag).toBe(Tag.RequestPayload);
      expect(toHex(encodeRequestMessage(req))).toBe(toHex(v.bytes));
    });
  }

  it('Create: operation, object type and the template attributes as stored values', () => {
    const [item] = decodeRequestMessage(wireVector('00-create.req')).batchItems;
    expect(item!.operation).toBe(Operation.Create);
    expect(item!.uniqueBatchItemId).toBeUndefined();
    expect(findChild(item!.payload, Tag.ObjectType)?.value).toBe(ObjectType.SymmetricKey);
    expect(attributesInPayload(item!.payload, KMIP_1_2)).toEqual([
      { name: 'Cryptographic Algorithm', value: { type: 'Enumeration', value: CryptographicAlgorithm.AES } },
      { name: 'Cryptographic Length', value: { type: 'Integer', value: 256 } },
      { name: 'Cryptographic Usage Mask', value: { type: 'Integer', value: 12 } },
      {
        name: 'Name',
        value: {
          type: 'Structure',
          value: [textString(Tag.NameValue, 'TAPE-KEY-A'), enumeration(Tag.NameType, 1)],
        },
      },
    ]);
  });

  it('Get, Activate, Destroy and Revoke name the created object', () => {
    for (const [name, op] of [
      ['01-get.req', Operation.Get],
      ['03-activate.req', Operation.Activate],
      ['06-revoke.req', Operation.Revoke],
      ['07-destroy.req', Operation.Destroy],
    ] as const) {
      const [item] = decodeRequestMessage(wireVector(name)).batchItems;
      expect(item!.operation, name).toBe(op);
      expect(findChild(item!.payload, Tag.UniqueIdentifier), name).toEqual(textString(Tag.UniqueIdentifier, CAPTURE.uid));
    }
  });

  it('Locate carries its Name attribute directly in the payload', () => {
    const [item] = decodeRequestMessage(wireVector('02-locate.req')).batchItems;
    const [name] = attributesInPayload(item!.payload, KMIP_1_2);
    expect(name!.name).toBe('Name');
    expect(findChild(withTag(Tag.Name, name!.value), Tag.NameValue)?.value).toBe('TAPE-KEY-A');
  });

  it('Discover Versions has an empty payload; Query asks for operations and objects', () => {
    const dv = decodeRequestMessage(wireVector('09-discover_versions.req')).batchItems[0]!;
    expect(dv.operation).toBe(Operation.DiscoverVersions);
    expect(dv.payload.value).toEqual([]);
    const q = decodeRequestMessage(wireVector('10-query.req')).batchItems[0]!;
    expect(findChildren(q.payload, Tag.QueryFunction).map((f) => f.value)).toEqual([1, 2]);
  });
});

describe('PyKMIP responses through the message layer', () => {
  for (const v of loadWireVectors().filter((x) => x.kind === 'resp')) {
    it(`${v.name}: decodes and re-encodes byte for byte`, () => {
      const resp = decodeResponseMessage(v.bytes);
      expect(resp.protocolVersion).toEqual(KMIP_1_2);
      expect(resp.timeStamp).toEqual(PYKMIP_TIME);
      expect(resp.batchItems).toHaveLength(1);
      expect(toHex(encodeResponseMessage(resp))).toBe(toHex(v.bytes));
    });
  }

  it('a server built from plain values answers Create exactly as PyKMIP did', () => {
    const req = decodeRequestMessage(wireVector('00-create.req'));
    const bytes = encodeResponseMessage({
      protocolVersion: req.header.protocolVersion,
      timeStamp: PYKMIP_TIME,
      batchItems: [
        {
          ...echoOf(req.batchItems[0]!),
          resultStatus: ResultStatus.Success,
          payload: [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), textString(Tag.UniqueIdentifier, CAPTURE.uid)],
        },
      ],
    });
    expect(toHex(bytes)).toBe(toHex(wireVector('00-create.resp')));
  });

  it('a failure carries status, reason and message and no payload', () => {
    const req = decodeRequestMessage(wireVector('08-get_destroyed_error.req'));
    const bytes = encodeResponseMessage({
      protocolVersion: req.header.protocolVersion,
      timeStamp: PYKMIP_TIME,
      batchItems: [
        {
          ...echoOf(req.batchItems[0]!),
          resultStatus: ResultStatus.OperationFailed,
          resultReason: ResultReason.ItemNotFound,
          resultMessage: `Could not locate object: ${CAPTURE.uid}`,
        },
      ],
    });
    expect(toHex(bytes)).toBe(toHex(wireVector('08-get_destroyed_error.resp')));
  });

  it('Get Attributes answers State and an indexed Name, which re-encode from stored attributes', () => {
    const resp = decodeResponseMessage(wireVector('04-get_attributes.resp'));
    const payload = resp.batchItems[0]!.payload!;
    const stored = [
      { name: 'State', value: { type: 'Enumeration' as const, value: State.Active } },
      {
        name: 'Name',
        index: 0,
        value: {
          type: 'Structure' as const,
          value: [textString(Tag.NameValue, 'TAPE-KEY-A'), enumeration(Tag.NameType, 1)],
        },
      },
    ];
    expect(payload.slice(1)).toEqual(stored.map(attributeToV1));
  });

  it('refuses to send a response bigger than the client said it can take', () => {
    const resp = decodeResponseMessage(wireVector('01-get.resp'));
    expect(encodeResponseMessage(resp, { maximumResponseSize: 280 }).length).toBe(280);
    let caught: unknown;
    try {
      encodeResponseMessage(resp, { maximumResponseSize: 279 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KmipMessageError);
    expect(caught).toMatchObject({ code: 'KMIP_RESPONSE_TOO_LARGE', resultReason: ResultReason.ResponseTooLarge });
  });
});
