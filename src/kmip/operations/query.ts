/**
 * Query: what this server does. Old (1.0) clients open with it instead of Discover
 * Versions; the Tape Library Profile asks for operations, objects and namespaces.
 */
import { Operation, ObjectType, QueryFunction, Tag, enumeration, findChildren, structure, textString, type TtlvItem } from '../ttlv/index.js';
import type { OperationContext, OperationSpec } from './context.js';
import { invalidField } from './payload.js';

/** The tape library key-identifier namespaces: LIBRARY-LTO, and per generation from LTO-4 (the first with encryption). */
export const APPLICATION_NAMESPACES: readonly string[] = ['LIBRARY-LTO', ...[4, 5, 6, 7, 8, 9, 10].map((n) => `LIBRARY-LTO${n}`)];

/** Filled in by the table, which knows every operation (a module cycle otherwise). */
export type OperationLister = (ctx: OperationContext) => number[];

export function makeQuery(listOperations: OperationLister): OperationSpec {
  return {
    operation: Operation.Query,
    since: { major: 1, minor: 0 },
    mutates: false,
    run(payload, ctx) {
      const functions = new Set(findChildren(payload, Tag.QueryFunction).map((f) => {
        if (f.type !== 'Enumeration') throw invalidField('Query Function must be an Enumeration');
        return f.value;
      }));
      // The response lists its parts in the order the specification gives them.
      const out: TtlvItem[] = [];
      if (functions.has(QueryFunction.QueryOperations)) {
        out.push(...listOperations(ctx).map((op) => enumeration(Tag.Operation, op)));
      }
      if (functions.has(QueryFunction.QueryObjects)) {
        out.push(enumeration(Tag.ObjectType, ObjectType.SymmetricKey), enumeration(Tag.ObjectType, ObjectType.SecretData));
      }
      if (functions.has(QueryFunction.QueryServerInformation)) {
        const s = ctx.server;
        out.push(textString(Tag.VendorIdentification, s.vendor));
        out.push(structure(Tag.ServerInformation, [
          textString(Tag.ServerName, s.serverName),
          textString(Tag.ServerSerialNumber, s.serialNumber),
          textString(Tag.ServerVersion, s.version),
          textString(Tag.ProductName, s.productName),
        ]));
      }
      if (functions.has(QueryFunction.QueryApplicationNamespaces)) {
        out.push(...APPLICATION_NAMESPACES.map((ns) => textString(Tag.ApplicationNamespace, ns)));
      }
      return { payload: out };
    },
  };
}
