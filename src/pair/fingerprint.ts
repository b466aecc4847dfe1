import { PairError } from './errors.js';

/**
 * A certificate fingerprint as an administrator may type it (any case, with or without
 * colons or spaces), in the form Node prints it: 32 upper-case hex bytes joined by colons.
 */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new PairError('PAIR_BAD_FINGERPRINT', `The fingerprint "${text.slice(0, 120)}" is not a SHA-256 fingerprint; copy the 64 hexadecimal digits the other server printed.`);
  }
  return hex.match(/../g)!.join(':');
}

/** The fingerprint as a file name: hex digits only. */
export function fingerprintFileName(fingerprint: string): string {
  return fingerprint.replace(/:/g, '');
}

/** A certificate as the TLS layer hands it over (DER), in PEM. */
export function pemOfDer(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
