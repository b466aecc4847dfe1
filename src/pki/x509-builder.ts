import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';

const { pki, asn1 } = forge;

// Present in node-forge's x509.js, missing from @types/node-forge.
const getTbsCertificate = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 })
  .getTBSCertificate;

export interface DistinguishedName {
  commonName: string;
  organizationName?: string;
  organizationalUnitName?: string;
}

export interface CertificateSpec {
  subject: DistinguishedName;
  /** The issuing CA's certificate (PEM); omit for a self-signed certificate. */
  issuerCertPem?: string;
  subjectPublicKeyPem: string;
  /** The issuer's private key (PEM); the signature is made with node:crypto. */
  issuerPrivateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}

/**
 * A positive, non-zero 127-bit serial from node:crypto. RFC 5280 allows up to 20 octets;
 * 16 random octets with the top bit cleared keep the DER INTEGER positive and unpredictable.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  // Positive (top bit clear) and with no leading zero digit, so every serial is written the
  // same 32 digits by OpenSSL, Node and the register, whatever tool shows it.
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function toAttributes(dn: DistinguishedName): forge.pki.CertificateField[] {
  const attrs: forge.pki.CertificateField[] = [];
  if (dn.organizationName) attrs.push({ shortName: 'O', value: dn.organizationName });
  if (dn.organizationalUnitName) attrs.push({ shortName: 'OU', value: dn.organizationalUnitName });
  attrs.push({ shortName: 'CN', value: dn.commonName });
  return attrs;
}

/** Where the SubjectPublicKeyInfo sits in a v3 TBSCertificate (version, serial, signature, issuer, validity, subject, key). */
const TBS_SPKI_INDEX = 6;

/**
 * forge can only write RSA keys into a certificate, so the subject's key goes in as
 * node:crypto exports it (any kind: RSA, EC), with its key identifier (RFC 5280 4.2.1.2
 * method 1, the SHA-1 of the public key bits, as forge computes it for RSA).
 */
function subjectKeyOf(publicKeyPem: string): { spki: forge.asn1.Asn1; keyIdentifier: string } {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  // Undecoded, the BIT STRING holds the key's bytes as they are (forge's types miss this option).
  const spki = (asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1)(der.toString('binary'), { decodeBitStrings: false });
  // The BIT STRING's first octet counts its unused bits (0 for a key); the rest is the key.
  const bits = Buffer.from((spki.value as forge.asn1.Asn1[])[1]!.value as string, 'binary').subarray(1);
  return { spki, keyIdentifier: createHash('sha1').update(bits).digest('binary') };
}

/** Stands in for the subject's key while forge lays out the certificate; replaced before signing. */
const PLACEHOLDER_KEY = pki.setRsaPublicKey(forge.jsbn.BigInteger.ONE, forge.jsbn.BigInteger.ONE);

/**
 * Build and sign an X.509 v3 certificate. forge lays out the ASN.1; the signature is
 * made by node:crypto because forge's RSA signing draws its blinding factor from forge's
 * own PRNG, and all our randomness must come from node:crypto.
 */
export function buildCertificate(spec: CertificateSpec): string {
  const cert = pki.createCertificate();
  cert.serialNumber = randomSerialHex();
  const subjectKey = subjectKeyOf(spec.subjectPublicKeyPem);
  cert.publicKey = PLACEHOLDER_KEY;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(toAttributes(spec.subject));
  const keyIdentifier = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, subjectKey.keyIdentifier);
  const extensions: object[] = [...spec.extensions, { name: 'subjectKeyIdentifier', value: keyIdentifier }];
  if (spec.issuerCertPem === undefined) {
    cert.setIssuer(toAttributes(spec.subject));
  } else {
    // Copy the CA's subject as forge decoded it, so the issuer name matches it byte for byte.
    const issuer = pki.certificateFromPem(spec.issuerCertPem);
    cert.setIssuer(issuer.subject.attributes);
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuer.generateSubjectKeyIdentifier().getBytes() });
  }
  cert.setExtensions(extensions);

  const algorithmOid = pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = algorithmOid;
  cert.siginfo.algorithmOid = algorithmOid;
  const tbs = getTbsCertificate(cert);
  (tbs.value as forge.asn1.Asn1[])[TBS_SPKI_INDEX] = subjectKey.spki;
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, createPrivateKey(spec.issuerPrivateKeyPem));
  cert.signature = signature.toString('binary');
  // certificateToAsn1 prefers this cached TBS, so the signed bytes are the bytes emitted.
  cert.tbsCertificate = tbs;
  return pki.certificateToPem(cert);
}
