/** Destroy: the key material is gone for good; the object stays, Destroyed, with its metadata. */
import { Operation } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { uidItem } from './payload.js';

export const destroy: OperationSpec = {
  operation: Operation.Destroy,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    ctx.objects.destroy(ctx.library, uid);
    return { payload: [uidItem(uid)] };
  },
};
