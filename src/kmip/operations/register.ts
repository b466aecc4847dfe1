/** Register: a 256-bit AES key imported for the calling library (stored sealed, never allocated to a tape). */
import type { NewAttribute } from '../../engine/index.js';
import { KeyFormatType, Operation, ObjectType, Tag, findChild } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { field, invalidField, requestAttributes, requiredField, uidItem } from './payload.js';

export const register: OperationSpec = {
  operation: Operation.Register,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const objectType = requiredField(payload, Tag.ObjectType, 'Enumeration');
    if (objectType !== ObjectType.SymmetricKey) {
      throw new OperationError('OBJECT_TYPE', `This server keeps symmetric keys only, not Object Type ${objectType}.`, { params: { objectType } });
    }
    const key = findChild(payload, Tag.SymmetricKey);
    if (key?.type !== 'Structure') throw invalidField('Register of a symmetric key needs its Symmetric Key structure');
    const block = findChild(key, Tag.KeyBlock);
    if (block?.type !== 'Structure') throw invalidField('the Symmetric Key lacks its Key Block');
    if (findChild(block, Tag.KeyWrappingData)) {
      throw new OperationError('FEATURE', 'This server does not accept wrapped keys; register the key in Raw format over the mutually authenticated connection.');
    }
    const format = requiredField(block, Tag.KeyFormatType, 'Enumeration');
    const material = keyMaterial(block, format);
    const attributes: NewAttribute[] = requestAttributes(payload, ctx.version);
    // The Key Block says what the key is; the store refuses anything but AES-256.
    const algorithm = field(block, Tag.CryptographicAlgorithm, 'Enumeration');
    const length = field(block, Tag.CryptographicLength, 'Integer');
    const named = new Set(attributes.map((a) => a.name));
    if (algorithm !== undefined && !named.has('Cryptographic Algorithm')) attributes.push({ name: 'Cryptographic Algorithm', value: { type: 'Enumeration', value: algorithm } });
    if (length !== undefined && !named.has('Cryptographic Length')) attributes.push({ name: 'Cryptographic Length', value: { type: 'Integer', value: length } });
    const object = ctx.objects.register(ctx.library, { material, attributes });
    return { payload: [uidItem(object.uid)], produced: object.uid };
  },
};

function keyMaterial(block: Parameters<typeof findChild>[0], format: number): Buffer {
  const value = findChild(block, Tag.KeyValue);
  if (value?.type !== 'Structure') throw invalidField('the Key Block lacks its Key Value structure');
  const material = findChild(value, Tag.KeyMaterial);
  if (format === KeyFormatType.Raw && material?.type === 'ByteString') return Buffer.from(material.value);
  if (format === KeyFormatType.TransparentSymmetricKey && material?.type === 'Structure') {
    const k = findChild(material, Tag.Key);
    if (k?.type === 'ByteString') return Buffer.from(k.value);
  }
  if (format !== KeyFormatType.Raw && format !== KeyFormatType.TransparentSymmetricKey) {
    throw new OperationError('KEY_FORMAT', `Key Format Type ${format} is not supported; use Raw or Transparent Symmetric Key.`, { params: { format } });
  }
  throw invalidField('the Key Material does not match its Key Format Type');
}
