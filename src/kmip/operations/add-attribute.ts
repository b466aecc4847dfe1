/** Add Attribute: a new instance (1.x answers with the instance and its index). */
import { Operation, Tag } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { v1Attribute, v2Wrapped } from './attribute-change.js';
import { attributeItems, invalidField, uidItem } from './payload.js';

export const addAttribute: OperationSpec = {
  operation: Operation.AddAttribute,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    if (ctx.v2) {
      const attr = v2Wrapped(payload, Tag.NewAttribute, ctx);
      if (!attr) throw invalidField('Add Attribute needs its New Attribute');
      ctx.objects.addAttribute(ctx.library, uid, attr);
      return { payload: [uidItem(uid)] };
    }
    const { index: _ignored, ...attr } = v1Attribute(payload, ctx); // the server picks the index
    const added = ctx.objects.addAttribute(ctx.library, uid, attr);
    return { payload: [uidItem(uid), ...attributeItems([added], ctx.version)] };
  },
};
