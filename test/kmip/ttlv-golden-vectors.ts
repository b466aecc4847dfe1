/**
 * The PyKMIP captures in test/fixtures/pykmip/wire: real bytes from a KMIP client and
 * server we did not write, recorded by test/fixtures/pykmip/capture.sh.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYKMIP_WIRE_DIR as WIRE_DIR } from '../../bench/pykmip-fixtures.js';

/**
 * What the server chose in the committed capture, as PyKMIP's own decoder read it (the
 * head of wire/transcript.txt). A new capture changes these; capture.sh prints them.
 */
export const CAPTURE = {
  /** Every response header's Time Stamp (the capture keeps only runs answered within one second). */
  timeStamp: 1796341845n,
  /** The Unique Identifier the server gave the created key; Get, Activate, Revoke and Destroy name it. */
  uid: '1',
  /** The key material the server minted for it, as the Get returned it. */
  keyMaterialHex: 'c77db4a1672952af3c7721c9a4da1239b287aa91b55d726c1ca4ad5592d2ced0',
} as const;

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
        bytes: fromHex(readFileSync(join(WIRE_DIR, file), 'utf8')),
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
