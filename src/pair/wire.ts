/**
 * What the pair link carries: one JSON object per line, a request answered by one reply.
 * Lines are bounded, so a peer (or anyone who reaches the port) cannot grow our memory.
 */
import type { Duplex } from 'node:stream';

/** A 4096-key set with its sealed-for-transport material is about 1 MiB of JSON; room for several. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

export interface PairRequest {
  op: string;
  [field: string]: unknown;
}

export type PairReply = { ok: true; [field: string]: unknown } | { ok: false; code: string; message: string };

/** Calls `onLine` with each complete line; a line over the bound ends the stream. */
export function readLines(stream: Duplex, onLine: (line: string) => void, onTooLong: () => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (data: Buffer) => {
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      chunks.push(data.subarray(start, nl));
      const line = Buffer.concat(chunks).toString('utf8');
      chunks = [];
      size = 0;
      start = nl + 1;
      onLine(line);
    }
    if (start < data.length) {
      chunks.push(data.subarray(start));
      size += data.length - start;
      if (size > MAX_LINE_BYTES) {
        chunks = [];
        size = 0;
        onTooLong();
      }
    }
  });
}

export function writeLine(stream: Duplex, message: PairRequest | PairReply): void {
  stream.write(`${JSON.stringify(message)}\n`);
}
