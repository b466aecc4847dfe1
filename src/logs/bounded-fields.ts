import pino from 'pino';
import { boundText } from '../util/bounded-text.js';

/**
 * Bounds on what one log line may carry, whatever a caller passes in: a client's value
 * reaches the log through error messages and fields, and must not make a line, or the
 * disk, as large as the client likes.
 */
export const LOG_STRING_MAX = 2048;
/** A stack trace is worth more room: it is what a developer reads after a crash. */
export const LOG_STACK_MAX = 8192;
const ITEMS_MAX = 32;
const DEPTH_MAX = 5;

/** A copy of a log call's fields with every string, array and nesting bounded; errors serialised. */
export function boundFields(fields: Record<string, unknown>): Record<string, unknown> {
  return boundObject(fields, 0);
}

function bound(value: unknown, depth: number, key: string): unknown {
  if (typeof value === 'string') return boundText(value, key === 'stack' ? LOG_STACK_MAX : LOG_STRING_MAX);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (depth >= DEPTH_MAX) return '[nested too deep]';
  if (value instanceof Error) return boundObject(pino.stdSerializers.err(value) as unknown as Record<string, unknown>, depth + 1);
  if (Array.isArray(value)) {
    const items = value.slice(0, ITEMS_MAX).map((v) => bound(v, depth + 1, ''));
    if (value.length > ITEMS_MAX) items.push(`… (${value.length - ITEMS_MAX} more)`);
    return items;
  }
  return boundObject(value as Record<string, unknown>, depth + 1);
}

function boundObject(fields: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(fields);
  for (const key of keys.slice(0, ITEMS_MAX * 2)) out[key] = bound(fields[key], depth, key);
  if (keys.length > ITEMS_MAX * 2) out['…'] = `${keys.length - ITEMS_MAX * 2} more fields`;
  return out;
}
