/**
 * Register: an object the client brings, stored for it as sent (sealed, never allocated):
 * a symmetric key of any length the store keeps (AES-128, -192, -256, Triple-DES), in Raw
 * or Transparent Symmetric Key format, or Secret Data in Opaque (or Raw) format. The
 * format it came in is kept: Get answers in it when no format is asked.
 */
import type { NewAttribute } from '../../engine/index.js';
import { KeyFormatType, Operation, ObjectType, SecretDataType, Tag, findChild, type TtlvStructure } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { field, invalidField, requestAttributes, requiredField, uidItem } from './payload.js';

/** The structure each registrable Object Type travels in, and the formats its Key Block may have. */
const REGISTRABLE: ReadonlyMap<number, { tag: number; name: string; formats: readonly number[] }> = new Map([
  [ObjectType.SymmetricKey, { tag: Tag.SymmetricKey, name: 'Symmetric Key', formats: [KeyFormatType.Raw, KeyFormatType.TransparentSymmetricKey] }],
  [ObjectType.SecretData, { tag: Tag.SecretData, name: 'Secret Data', formats: [KeyFormatType.Opaque, KeyFormatType.Raw] }],
]);

export const register: OperationSpec = {
  operation: Operation.Register,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const objectType = requiredField(payload, Tag.ObjectType, 'Enumeration');
    const kind = REGISTRABLE.get(objectType);
    if (kind === undefined) {
      throw new OperationError('OBJECT_TYPE', `This server keeps symmetric keys and Secret Data, not Object Type ${objectType}.`, { params: { objectType } });
    }
    const object = findChild(payload, kind.tag);
    if (object?.type !== 'Structure') throw invalidField(`Register of ${kind.name} needs its ${kind.name} structure`);
    const block = findChild(object, Tag.KeyBlock);
    if (block?.type !== 'Structure') throw invalidField(`the ${kind.name} lacks its Key Block`);
    if (findChild(block, Tag.KeyWrappingData)) {
      throw new OperationError('FEATURE', 'This server does not accept wrapped keys; register the key unwrapped over the mutually authenticated connection.');
    }
    const format = requiredField(block, Tag.KeyFormatType, 'Enumeration');
    if (!kind.formats.includes(format)) {
      throw new OperationError('KEY_FORMAT', `Key Format Type ${format} is not supported for ${kind.name}; use ${kind.formats.join(' or ')}.`, { params: { format } });
    }
    const material = keyMaterial(block, format);
    const attributes: NewAttribute[] = requestAttributes(payload, ctx.version);
    if (objectType === ObjectType.SymmetricKey) {
      // The Key Block says what the key is, where the attributes do not.
      const algorithm = field(block, Tag.CryptographicAlgorithm, 'Enumeration');
      const length = field(block, Tag.CryptographicLength, 'Integer');
      const named = new Set(attributes.map((a) => a.name));
      if (algorithm !== undefined && !named.has('Cryptographic Algorithm')) attributes.push({ name: 'Cryptographic Algorithm', value: { type: 'Enumeration', value: algorithm } });
      if (length !== undefined && !named.has('Cryptographic Length')) attributes.push({ name: 'Cryptographic Length', value: { type: 'Integer', value: length } });
    }
    const secretType = objectType === ObjectType.SecretData ? requiredField(object, Tag.SecretDataType, 'Enumeration') : undefined;
    if (secretType !== undefined && secretType !== SecretDataType.Password && secretType !== SecretDataType.Seed) {
      throw invalidField(`Secret Data Type ${secretType} is neither Password (1) nor Seed (2)`);
    }
    const stored = ctx.objects.register(ctx.library, { material, attributes, objectType, format, ...(secretType !== undefined && { secretType }) });
    return { payload: [uidItem(stored.uid)], produced: stored.uid };
  },
};

function keyMaterial(block: TtlvStructure, format: number): Buffer {
  const value = findChild(block, Tag.KeyValue);
  if (value?.type !== 'Structure') throw invalidField('the Key Block lacks its Key Value structure');
  const material = findChild(value, Tag.KeyMaterial);
  if (format !== KeyFormatType.TransparentSymmetricKey && material?.type === 'ByteString') return Buffer.from(material.value);
  if (format === KeyFormatType.TransparentSymmetricKey && material?.type === 'Structure') {
    const k = findChild(material, Tag.Key);
    if (k?.type === 'ByteString') return Buffer.from(k.value);
  }
  throw invalidField('the Key Material does not match its Key Format Type');
}
