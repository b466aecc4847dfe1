/**
 * Check: may this key be used as the client intends? It must exist for the caller, still
 * have its material, and allow every use named in a Cryptographic Usage Mask. Usage
 * limits and leases are not kept by this server, so those checks always pass.
 */
import { DEFAULT_USAGE_MASK, isDestroyedState } from '../../engine/index.js';
import { Operation, Tag } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { OperationError } from './errors.js';
import { field, uidItem } from './payload.js';

export const check: OperationSpec = {
  operation: Operation.Check,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const wanted = field(payload, Tag.CryptographicUsageMask, 'Integer');
    const object = ctx.objects.describe(ctx.library, uid);
    if (isDestroyedState(object.state)) ctx.objects.material(ctx.library, uid); // throws: destroyed
    if (wanted !== undefined) {
      const stored = ctx.objects.attributes(ctx.library, uid).find((a) => a.name === 'Cryptographic Usage Mask');
      const mask = stored?.value.type === 'Integer' ? stored.value.value : DEFAULT_USAGE_MASK;
      if ((wanted & mask) !== wanted) {
        throw new OperationError('USAGE_MASK', `The key ${uid} does not allow the uses asked for (mask ${wanted}; it allows ${mask}).`, { params: { uid, wanted, allowed: mask } });
      }
    }
    return { payload: [uidItem(uid)] };
  },
};
