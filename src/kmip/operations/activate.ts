/** Activate: a Pre-Active key becomes Active. */
import { Operation } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { uidItem } from './payload.js';

export const activate: OperationSpec = {
  operation: Operation.Activate,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    ctx.objects.activate(ctx.library, uid);
    return { payload: [uidItem(uid)] };
  },
};
