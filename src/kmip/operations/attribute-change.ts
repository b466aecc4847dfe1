/** Reading the one attribute an Add/Modify/Delete Attribute item carries, in either version's form. */
import type { NewAttribute } from '../../engine/index.js';
import { attributeFromV1, attributeFromV2 } from '../messages/index.js';
import { Tag, findChildren, type TtlvStructure } from '../ttlv/index.js';
import type { OperationContext } from './context.js';
import { invalidField, toNewAttribute } from './payload.js';

/** 1.x: the single Attribute in the payload. */
export function v1Attribute(payload: TtlvStructure, ctx: OperationContext): NewAttribute {
  const found = findChildren(payload, Tag.Attribute);
  if (found.length !== 1) throw invalidField(`the request needs exactly one Attribute, not ${found.length}`);
  return toNewAttribute(attributeFromV1(found[0]!, { protocolVersion: ctx.version }));
}

/** 2.x: the single attribute inside New Attribute or Current Attribute (absent: undefined). */
export function v2Wrapped(payload: TtlvStructure, tag: number, ctx: OperationContext): NewAttribute | undefined {
  const found = findChildren(payload, tag);
  if (found.length === 0) return undefined;
  const wrapper = found[0]!;
  if (found.length > 1 || wrapper.type !== 'Structure' || wrapper.value.length !== 1) {
    throw invalidField('New Attribute and Current Attribute must each hold exactly one attribute');
  }
  return toNewAttribute(attributeFromV2(wrapper.value[0]!, { protocolVersion: ctx.version }));
}
