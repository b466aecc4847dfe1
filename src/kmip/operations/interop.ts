/**
 * Interop (2.x): a test harness marks where each interoperability test case begins and
 * ends, and asks for a reset between them. qkm keeps no per-test state to reset, so each
 * is noted in the log (with its identifier) and answered with an empty payload.
 */
import { InteropFunction, Operation, Tag } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { invalidField, requiredField } from './payload.js';
import { quoteClientValue } from '../../util/bounded-text.js';

const FUNCTIONS: ReadonlyMap<number, string> = new Map([
  [InteropFunction.Begin, 'begin'],
  [InteropFunction.End, 'end'],
  [InteropFunction.Reset, 'reset'],
]);

export const interop: OperationSpec = {
  operation: Operation.Interop,
  since: { major: 2, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const fn = requiredField(payload, Tag.InteropFunction, 'Enumeration');
    const what = FUNCTIONS.get(fn);
    if (what === undefined) throw invalidField(`Interop Function ${fn} is none of Begin (1), End (2) and Reset (3)`);
    const identifier = requiredField(payload, Tag.InteropIdentifier, 'TextString');
    ctx.logger?.info?.({ library: ctx.library, interop: what, identifier: quoteClientValue(identifier) }, `KMIP interop ${what}`);
    return { payload: [] };
  },
};
