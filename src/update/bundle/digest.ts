import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** The sha256 and length of a stream's bytes, reporting each chunk's length as it goes. */
export async function digestStream(stream: Readable, onBytes: (n: number) => void = () => {}): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    hash.update(b);
    size += b.length;
    onBytes(b.length);
  }
  return { sha256: hash.digest('hex'), size };
}
