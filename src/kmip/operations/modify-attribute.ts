/** Modify Attribute: a new value for an existing instance (1.x: by index, default 0; 2.x: by its current value). */
import { Operation, Tag } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { v1Attribute, v2Wrapped } from './attribute-change.js';
import { attributeItems, invalidField, uidItem } from './payload.js';

export const modifyAttribute: OperationSpec = {
  operation: Operation.ModifyAttribute,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    if (ctx.v2) {
      const next = v2Wrapped(payload, Tag.NewAttribute, ctx);
      if (!next) throw invalidField('Modify Attribute needs its New Attribute');
      const current = v2Wrapped(payload, Tag.CurrentAttribute, ctx);
      if (current && current.name !== next.name) throw invalidField('Current Attribute and New Attribute name different attributes');
      ctx.objects.modifyAttribute(ctx.library, uid, next, current?.value);
      return { payload: [uidItem(uid)] };
    }
    const attr = v1Attribute(payload, ctx);
    const changed = ctx.objects.modifyAttribute(ctx.library, uid, { ...attr, index: attr.index ?? 0 });
    return { payload: [uidItem(uid), ...attributeItems([changed], ctx.version)] };
  },
};
