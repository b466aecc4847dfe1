/** A readable, indented rendering of an item tree, for logs and test failures. */
import { tagName } from './tags.js';
import type { TtlvItem } from './types.js';

export function formatTtlv(item: TtlvItem, indent = ''): string {
  const head = `${indent}${tagName(item.tag)} ${item.type}`;
  switch (item.type) {
    case 'Structure':
      return [head, ...item.value.map((child) => formatTtlv(child, `${indent}  `))].join('\n');
    case 'TextString':
      return `${head} ${JSON.stringify(item.value)}`;
    case 'ByteString':
      return `${head} ${Buffer.from(item.value).toString('hex')}`;
    default:
      return `${head} ${String(item.value)}`;
  }
}
