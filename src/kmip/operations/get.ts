/** Get: the key itself, for a tape being read or written; Raw (default) or Transparent Symmetric Key. */
import { AES, KEY_BITS } from '../../engine/index.js';
import { KeyFormatType, Operation, ObjectType, Tag, byteString, enumeration, findChild, integer, structure, type TtlvItem } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { field, uidItem } from './payload.js';

export const get: OperationSpec = {
  operation: Operation.Get,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const format = field(payload, Tag.KeyFormatType, 'Enumeration') ?? KeyFormatType.Raw;
    if (format !== KeyFormatType.Raw && format !== KeyFormatType.TransparentSymmetricKey) {
      throw new OperationError('KEY_FORMAT', `Key Format Type ${format} is not supported for symmetric keys; ask for Raw or Transparent Symmetric Key.`, { params: { format } });
    }
    if (findChild(payload, Tag.KeyWrappingSpecification)) {
      throw new OperationError('FEATURE', 'This server does not wrap keys on Get; the mutually authenticated TLS connection protects them.');
    }
    const material = ctx.objects.material(ctx.library, uid);
    const keyMaterial: TtlvItem = format === KeyFormatType.Raw
      ? byteString(Tag.KeyMaterial, material)
      : structure(Tag.KeyMaterial, [byteString(Tag.Key, material)]);
    const block = structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, format),
      structure(Tag.KeyValue, [keyMaterial]),
      enumeration(Tag.CryptographicAlgorithm, AES),
      integer(Tag.CryptographicLength, KEY_BITS),
    ]);
    return { payload: [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), uidItem(uid), structure(Tag.SymmetricKey, [block])] };
  },
};
