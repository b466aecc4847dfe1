/** Revoke: deactivates a key, or marks it compromised (Key or CA Compromise). */
import { Operation, Tag, findChild } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';
import { field, invalidField, requiredField, uidItem } from './payload.js';

export const revoke: OperationSpec = {
  operation: Operation.Revoke,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const uid = ctx.uniqueIdentifier(payload);
    const reason = findChild(payload, Tag.RevocationReason);
    if (reason?.type !== 'Structure') throw invalidField('Revoke needs its Revocation Reason structure');
    const code = requiredField(reason, Tag.RevocationReasonCode, 'Enumeration');
    const message = field(reason, Tag.RevocationMessage, 'TextString');
    const occurred = field(payload, Tag.CompromiseOccurrenceDate, 'DateTime');
    ctx.objects.revoke(ctx.library, uid, {
      reason: code,
      ...(message !== undefined && { message }),
      ...(occurred !== undefined && { compromiseOccurrence: Number(occurred) * 1000 }),
    });
    return { payload: [uidItem(uid)] };
  },
};
