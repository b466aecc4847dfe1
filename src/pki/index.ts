export { CertificateError } from './errors.js';
export {
  createCertificateAuthority,
  issueServerCertificate,
  issueClientCertificate,
  issuePairCertificate,
  issueHealthCheckCertificate,
  HEALTH_CHECK_CN,
  assertLibraryName,
  parseKeyType,
  CLOCK_SKEW_MS,
  DEFAULT_CA_VALIDITY_DAYS,
  DEFAULT_SERVER_VALIDITY_DAYS,
  DEFAULT_CLIENT_VALIDITY_DAYS,
  type CertifiedKey,
  type CaOptions,
  type ServerCertOptions,
  type ClientCertOptions,
} from './authority.js';
export { DEFAULT_RSA_BITS, KEY_TYPES, type KeyType } from './key-pair.js';
export { loadCa } from './ca-store.js';
export {
  ensureServerCredentials,
  ensureWebCredentials,
  type EnsureServerCredentialsOptions,
  type ServerCredentials,
  type ServerCertIssueReason,
} from './server-credentials.js';
export { writeLibraryBundle, removeBundleLeftovers, assertWritableTarget, BUNDLE_ENTRIES, type WriteLibraryBundleOptions, type LibraryBundle } from './library-bundle.js';
export {
  listCertificates,
  revokeCertificates,
  normalizeSerial,
  revokedSerials,
  stateOf,
  type CertificateRecord,
  type CertificateState,
  type RevokeTarget,
  type RevokeResult,
} from './register.js';
export { RevocationWatch } from './revocation-watch.js';
export { tlsDirOf, tlsPaths, type TlsPaths } from './tls-dir.js';
export { caCertificatePem, certificateFingerprint, ensurePairCredentials, issuedBy, readPairCredentials, type PairCredentials } from './pair-credentials.js';
export {
  checkExchangeCertificate,
  ensureEncryptionCredentials,
  readEncryptionCredentials,
  MIN_EXCHANGE_RSA_BITS,
  type EncryptionCredentials,
} from './encryption-credentials.js';
