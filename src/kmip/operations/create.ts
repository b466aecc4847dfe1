/**
 * Create. For a tape library (Tape Library Profile) the key is not minted here: it is the
 * next key of the library's pre-generated set (the engine's allocation), so every key
 * served was generated in a set and covered by the backup rule. For a general client the
 * key is minted as asked (algorithm and length from its attributes), durable before the
 * answer.
 */
import { Operation, ObjectType, Tag, enumeration } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { requestAttributes, requiredField, uidItem } from './payload.js';
import { tapeFor } from '../../engine/index.js';

export const create: OperationSpec = {
  operation: Operation.Create,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const objectType = requiredField(payload, Tag.ObjectType, 'Enumeration');
    if (objectType !== ObjectType.SymmetricKey) {
      throw new OperationError('OBJECT_TYPE', `This server creates symmetric keys only (Object Type ${ObjectType.SymmetricKey}), not Object Type ${objectType}.`, { params: { objectType } });
    }
    const attributes = requestAttributes(payload, ctx.version);
    const object = ctx.role === 'general'
      ? ctx.objects.mint(ctx.library, { attributes })
      : ctx.objects.create(ctx.library, { tape: tapeFor(attributes), attributes });
    return { payload: [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), uidItem(object.uid)], produced: object.uid };
  },
};
