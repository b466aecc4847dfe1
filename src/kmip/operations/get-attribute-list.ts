/** Get Attribute List: the names of the attributes an object has (2.x: as Attribute References). */
import { nameToAttributeReference } from '../messages/index.js';
import { Operation, Tag, textString } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { objectAttributes } from './get-attributes.js';
import { uidItem } from './payload.js';

export const getAttributeList: OperationSpec = {
  operation: Operation.GetAttributeList,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const names = [...new Set(objectAttributes(ctx, uid).map((a) => a.name))];
    const items = ctx.v2
      ? names.map((n) => nameToAttributeReference(n, { protocolVersion: ctx.version }))
      : names.map((n) => textString(Tag.AttributeName, n));
    return { payload: [uidItem(uid), ...items] };
  },
};
