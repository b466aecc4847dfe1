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
    const chosen = wanted.length === 0 ? all.filter((a) => !namedOnlyIn(a.name, ctx)) : all.filter((a) => wanted.includes(a.name));
    return { payload: [uidItem(uid), ...attributeItems(chosen, ctx.version)] };
  },
};

/** The object's attributes that exist in the answering version (Key Format Type, Protection Storage Mask: 2.x only). */
export function objectAttributes(ctx: OperationContext, uid: string): ObjectAttribute[] {
  return ctx.objects.attributes(ctx.library, uid).filter((a) => attributeExistsIn(a.name, ctx.version.major));
}

/**
 * The server-set Key Format Type and Protection Storage Mask go into a 2.0 "every
 * attribute" answer only when named: PyKMIP, the 2.0 client most found, refuses the whole
 * answer for a tag it does not know. 2.1 answers carry them always, and Get Attribute List
 * names them at 2.0 as well.
 */
const NAMED_ONLY_AT_2_0: ReadonlySet<string> = new Set(['Key Format Type', 'Protection Storage Mask']);

function namedOnlyIn(name: string, ctx: OperationContext): boolean {
  return NAMED_ONLY_AT_2_0.has(name) && ctx.version.major === 2 && ctx.version.minor === 0;
}

/** 1.x names attributes by Attribute Name text, 2.x by Attribute Reference. */
export function requestedNames(payload: TtlvStructure, ctx: OperationContext): string[] {
  if (ctx.v2) return findChildren(payload, Tag.AttributeReference).map((r) => attributeReferenceToName(r, { protocolVersion: ctx.version }));
  return findChildren(payload, Tag.AttributeName).map((n) => {
    if (n.type !== 'TextString') throw invalidField('Attribute Name must be a Text String');
    return n.value;
  });
}
