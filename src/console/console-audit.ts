import { CONSOLE_USER } from '../admin/console-password.js';
import type { AuditOutcome } from '../logs/audit-chain.js';
import type { ConsoleScope } from './session.js';

/** Records one of the administrator's acts at the console; on disk before the console goes on. */
export function auditConsole(s: Pick<ConsoleScope, 'audit'>, action: string, outcome: AuditOutcome, details?: Record<string, unknown>): void {
  s.audit.record({ action: `console ${action}`, outcome, actor: CONSOLE_USER, details });
}
