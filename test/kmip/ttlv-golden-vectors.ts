/**
 * The PyKMIP captures in ../shared/interop/pykmip/wire (next to the checkout, in CI
 * as here): real bytes from a KMIP client and server we did not write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WIRE_DIR = fileURLToPath(new URL('../../../shared/interop/pykmip/wire/', import.meta.url));

export interface WireVector {
  /** e.g. "01-get.resp" */
  name: string;
  /** e.g. "get" */
  op: string;
  kind: 'req' | 'resp';
  bytes: Uint8Array;
}

export function loadWireVectors(): WireVector[] {
  return readdirSync(WIRE_DIR)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((file) => {
      const match = /^\d+-(.+)\.(req|resp)\.hex$/.exec(file);
      if (!match) throw new Error(`unexpected file name in ${WIRE_DIR}: ${file}`);
      return {
        name: file.replace(/\.hex$/, ''),
        op: match[1]!,
        kind: match[2] as 'req' | 'resp',
        bytes: fromHex(readFileSync(WIRE_DIR + file, 'utf8')),
      };
    });
}

export function wireVector(name: string): Uint8Array {
  const found = loadWireVectors().find((v) => v.name === name);
  if (!found) throw new Error(`no wire vector ${name}`);
  return found.bytes;
}

/** Hex with any whitespace or `|` separators, as the specification prints its examples. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
