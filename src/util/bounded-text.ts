/**
 * Text that comes from outside (a client's identifier, a certificate's name, a stored
 * message) can be any length. Anything that repeats it, in an answer or in a log line,
 * goes through here, so that a client cannot grow an answer or fill the disk by sending
 * a long value: the start is kept (enough to recognise it) and the length is said.
 */

/** How much of a client's value a message quotes: a key name or a barcode fits whole. */
export const QUOTED_MAX = 80;

/** `text` if it has at most `max` characters; else its start, an ellipsis and its length. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${startOf(text, max)}… (${text.length} characters)`;
}

/**
 * A client's value quoted for a message: `"LIB1-000001"`, or for a long one
 * `"AAAAAAAA…" (1048576 characters)`. Control characters are escaped (JSON-style), so a
 * value cannot forge a line break in a log or a terminal.
 */
export function quoteClientValue(value: unknown, max: number = QUOTED_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(startOf(text, max))}… (${text.length} characters)`;
}

/** The first `max` UTF-16 units, without splitting a surrogate pair. */
function startOf(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
