/**
 * What the simulated drive writes on a tape: a block encrypted under the tape's key
 * (AES-256-GCM), so that reading the tape back proves the key the server returns is the
 * very key the tape was written with, not merely a key with the same name.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

export interface TapeBlock { iv: Buffer; data: Buffer; tag: Buffer }

/** The plain block: fixed by the tape's barcode and key identifier, so a read can check it. */
function plainBlock(barcode: string, keyIdentifier: string): Buffer {
  return createHash('sha512').update(`${barcode}\n${keyIdentifier}`).digest();
}

export function writeBlock(key: Buffer, iv: Buffer, barcode: string, keyIdentifier: string): TapeBlock {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plainBlock(barcode, keyIdentifier)), cipher.final()]);
  return { iv, data, tag: cipher.getAuthTag() };
}

/** True when `key` decrypts the block to what was written. */
export function readsBack(key: Buffer, block: TapeBlock, barcode: string, keyIdentifier: string): boolean {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, block.iv);
    decipher.setAuthTag(block.tag);
    const plain = Buffer.concat([decipher.update(block.data), decipher.final()]);
    return plain.equals(plainBlock(barcode, keyIdentifier));
  } catch {
    return false;
  }
}
