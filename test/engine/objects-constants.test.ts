import { describe, expect, it } from 'vitest';
import { AES, CA_COMPROMISE, FieldTag, KEY_COMPROMISE, ObjectState, SYMMETRIC_KEY } from '../../src/engine/object-model.js';
import { CryptographicAlgorithm, ObjectType, RevocationReasonCode, State, Tag } from '../../src/kmip/ttlv/index.js';

// The engine repeats the few KMIP numbers it stores (it must not import the KMIP layer); these pin them to the protocol's tables.
describe('engine KMIP constants', () => {
  it('match the TTLV tables', () => {
    for (const [name, tag] of Object.entries(FieldTag)) expect(tag, name).toBe(Tag[name as keyof typeof Tag]);
    expect(ObjectState).toEqual(State);
    expect(SYMMETRIC_KEY).toBe(ObjectType.SymmetricKey);
    expect(AES).toBe(CryptographicAlgorithm.AES);
    expect(KEY_COMPROMISE).toBe(RevocationReasonCode.KeyCompromise);
    expect(CA_COMPROMISE).toBe(RevocationReasonCode.CACompromise);
  });
});
