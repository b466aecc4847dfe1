import { createPrivateKey, randomBytes, sign } from 'node:crypto';
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

/**
 * Build and sign an X.509 v3 certificate. forge lays out the ASN.1; the signature is
 * made by node:crypto because forge's RSA signing draws its blinding factor from forge's
 * own PRNG, and all our randomness must come from node:crypto.
 */
export function buildCertificate(spec: CertificateSpec): string {
  const cert = pki.createCertificate();
  cert.serialNumber = randomSerialHex();
  cert.publicKey = pki.publicKeyFromPem(spec.subjectPublicKeyPem);
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(toAttributes(spec.subject));
  const extensions: object[] = [...spec.extensions, { name: 'subjectKeyIdentifier' }];
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
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, createPrivateKey(spec.issuerPrivateKeyPem));
  cert.signature = signature.toString('binary');
  // certificateToAsn1 prefers this cached TBS, so the signed bytes are the bytes emitted.
  cert.tbsCertificate = tbs;
  return pki.certificateToPem(cert);
}
