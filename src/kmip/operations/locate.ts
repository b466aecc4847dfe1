/**
 * Locate: the caller's objects that have every attribute given. Tape libraries find the
 * key of a tape being read by its key identifier (Application Specific Information) or
 * its barcode (Alternative Name); an index answers either.
 */
import { LOCATE_CAP } from '../../engine/index.js';
import { Operation, StorageStatusMask, Tag, integer } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { field, invalidField, requestAttributes, uidItem } from './payload.js';
import { atLeast } from './versions.js';

export const locate: OperationSpec = {
  operation: Operation.Locate,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const maxItems = field(payload, Tag.MaximumItems, 'Integer');
    const offsetItems = field(payload, Tag.OffsetItems, 'Integer');
    if ((maxItems !== undefined && maxItems < 0) || (offsetItems !== undefined && offsetItems < 0)) {
      throw invalidField('Maximum Items and Offset Items must not be negative');
    }
    const mask = field(payload, Tag.StorageStatusMask, 'Integer') ?? StorageStatusMask.OnlineStorage;
    const uids = ctx.objects.locate(ctx.library, {
      criteria: requestAttributes(payload, ctx.version),
      ...(maxItems !== undefined && { maxItems }),
      ...(offsetItems !== undefined && { offsetItems }),
      // 2.x can ask for destroyed objects; by default Locate sees only live ones.
      includeDestroyed: ctx.v2 && (mask & StorageStatusMask.DestroyedStorage) !== 0,
    });
    const out = uids.map(uidItem);
    // Located Items (1.3+) is optional: sent only where it costs nothing, when the answer is the whole count.
    if (atLeast(ctx.version, 1, 3) && maxItems === undefined && offsetItems === undefined && uids.length < LOCATE_CAP) out.unshift(integer(Tag.LocatedItems, uids.length));
    return { payload: out, produced: uids[0] ?? null };
  },
};
