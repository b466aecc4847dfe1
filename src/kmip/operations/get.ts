/**
 * Get: the object itself. A symmetric key comes in the format asked (Raw or Transparent
 * Symmetric Key), else in the one it was registered in; Secret Data in its own format.
 * With a Key Wrapping Specification the key comes wrapped (key-wrapping.ts).
 */
import type { ObjectKind } from '../../engine/index.js';
import { KeyFormatType, Operation, ObjectType, Tag, byteString, enumeration, findChild, integer, structure, type TtlvItem } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { wrapForGet } from './key-wrapping.js';
import { field, uidItem } from './payload.js';

const SYMMETRIC_FORMATS: readonly number[] = [KeyFormatType.Raw, KeyFormatType.TransparentSymmetricKey];

export const get: OperationSpec = {
  operation: Operation.Get,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const asked = field(payload, Tag.KeyFormatType, 'Enumeration');
    const material = ctx.objects.material(ctx.library, uid);
    const kind = ctx.objects.kind(ctx.library, uid);
    const format = asked ?? kind.format;
    const allowed = kind.spec === null ? [kind.format] : SYMMETRIC_FORMATS;
    if (!allowed.includes(format)) {
      throw new OperationError('KEY_FORMAT', `Key Format Type ${format} is not supported for this object; ask for ${allowed.join(' or ')}.`, { params: { format } });
    }
    const wrapping = findChild(payload, Tag.KeyWrappingSpecification);
    const wrapped = wrapping?.type === 'Structure' ? wrapForGet(wrapping, material, ctx) : undefined;
    const keyValue: TtlvItem = wrapped !== undefined
      ? byteString(Tag.KeyValue, wrapped.value)
      : structure(Tag.KeyValue, [format === KeyFormatType.TransparentSymmetricKey ? structure(Tag.KeyMaterial, [byteString(Tag.Key, material)]) : byteString(Tag.KeyMaterial, material)]);
    const block = structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, format),
      keyValue,
      ...algorithmItems(kind),
      ...(wrapped === undefined ? [] : [wrapped.data]),
    ]);
    const object = kind.spec === null
      ? structure(Tag.SecretData, [enumeration(Tag.SecretDataType, kind.secretType ?? 1), block])
      : structure(Tag.SymmetricKey, [block]);
    const objectType = kind.spec === null ? ObjectType.SecretData : ObjectType.SymmetricKey;
    return { payload: [enumeration(Tag.ObjectType, objectType), uidItem(uid), object] };
  },
};

function algorithmItems(kind: ObjectKind): TtlvItem[] {
  if (kind.spec === null) return [];
  return [enumeration(Tag.CryptographicAlgorithm, kind.spec.algorithm), integer(Tag.CryptographicLength, kind.spec.bits)];
}
