/** Log (2.x): a client's message for the server's audit log, answered with an empty payload. */
import { Operation, Tag } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { requiredField } from './payload.js';
import { quoteClientValue } from '../../util/bounded-text.js';

export const log: OperationSpec = {
  operation: Operation.Log,
  since: { major: 2, minor: 0 },
  mutates: false,
  run(payload, ctx) {
    const message = requiredField(payload, Tag.LogMessage, 'TextString');
    // Bounded like every client value in the log: no client can fill the disk through it.
    ctx.logger?.info?.({ audit: 'kmip-log', library: ctx.library, message: quoteClientValue(message) }, 'KMIP client log message');
    return { payload: [] };
  },
};
