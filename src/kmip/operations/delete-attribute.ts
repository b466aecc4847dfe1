/**
 * Delete Attribute. 1.x names one instance by Attribute Name and Index (default 0) and
 * gets it back; 2.x names one instance by its Current Attribute, or every instance by
 * an Attribute Reference.
 */
import type { Instances } from '../../engine/index.js';
import { attributeReferenceToName } from '../messages/index.js';
import { Operation, Tag, findChild } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { v2Wrapped } from './attribute-change.js';
import { attributeItems, field, invalidField, requiredField, uidItem } from './payload.js';

export const deleteAttribute: OperationSpec = {
  operation: Operation.DeleteAttribute,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    if (ctx.v2) {
      const current = v2Wrapped(payload, Tag.CurrentAttribute, ctx);
      const reference = findChild(payload, Tag.AttributeReference);
      let name: string;
      let which: Instances;
      if (current) {
        name = current.name;
        which = { value: current.value };
      } else if (reference) {
        name = attributeReferenceToName(reference, { protocolVersion: ctx.version });
        which = { all: true };
      } else {
        throw invalidField('Delete Attribute needs a Current Attribute or an Attribute Reference');
      }
      ctx.objects.deleteAttribute(ctx.library, uid, name, which);
      return { payload: [uidItem(uid)] };
    }
    const name = requiredField(payload, Tag.AttributeName, 'TextString');
    const index = field(payload, Tag.AttributeIndex, 'Integer') ?? 0;
    const deleted = ctx.objects.deleteAttribute(ctx.library, uid, name, { index });
    return { payload: [uidItem(uid), ...attributeItems(deleted, ctx.version)] };
  },
};
