/** Get Attributes: the named attributes of an object (all of them when none is named); unknown names are left out. */
import { Operation, Tag, findChildren } from '../ttlv/index.js';
import type { ObjectAttribute } from '../../engine/index.js';
import { attributeExistsIn, attributeReferenceToName } from '../messages/index.js';
import type { OperationContext, OperationSpec } from './context.js';
import { attributeItems, invalidField, uidItem } from './payload.js';
import type { TtlvStructure } from '../ttlv/index.js';

export const getAttributes: OperationSpec = {
  operation: Operation.GetAttributes,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const wanted = requestedNames(payload, ctx);
    const all = objectAttributes(ctx, uid);
    const chosen = wanted.length === 0 ? all : all.filter((a) => wanted.includes(a.name));
    return { payload: [uidItem(uid), ...attributeItems(chosen, ctx.version)] };
  },
};

/** The object's attributes that exist in the answering version (Key Format Type, Protection Storage Mask: 2.x only). */
export function objectAttributes(ctx: OperationContext, uid: string): ObjectAttribute[] {
  return ctx.objects.attributes(ctx.library, uid).filter((a) => attributeExistsIn(a.name, ctx.version.major));
}

/** 1.x names attributes by Attribute Name text, 2.x by Attribute Reference. */
export function requestedNames(payload: TtlvStructure, ctx: OperationContext): string[] {
  if (ctx.v2) return findChildren(payload, Tag.AttributeReference).map((r) => attributeReferenceToName(r, { protocolVersion: ctx.version }));
  return findChildren(payload, Tag.AttributeName).map((n) => {
    if (n.type !== 'TextString') throw invalidField('Attribute Name must be a Text String');
    return n.value;
  });
}
