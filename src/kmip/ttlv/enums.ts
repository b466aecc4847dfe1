/**
 * KMIP enumerations the key manager speaks, with numbers from the OASIS KMIP
 * specifications (1.0-1.4 and 2.0/2.1, §11 in 2.x). Values marked "1.x" are
 * "(Reserved)" in 2.x; values marked "2.x" do not exist before 2.0, so code that
 * answers a 1.x client must not send them. Values 0x8XXXXXXX are vendor extensions
 * in every enumeration, which is why the decoder keeps any number it is given.
 */

export const Operation = {
  Create: 0x01,
  CreateKeyPair: 0x02,
  Register: 0x03,
  ReKey: 0x04,
  DeriveKey: 0x05,
  Certify: 0x06,
  ReCertify: 0x07,
  Locate: 0x08,
  Check: 0x09,
  Get: 0x0a,
  GetAttributes: 0x0b,
  GetAttributeList: 0x0c,
  AddAttribute: 0x0d,
  ModifyAttribute: 0x0e,
  DeleteAttribute: 0x0f,
  ObtainLease: 0x10,
  GetUsageAllocation: 0x11,
  Activate: 0x12,
  Revoke: 0x13,
  Destroy: 0x14,
  Archive: 0x15,
  Recover: 0x16,
  Validate: 0x17,
  Query: 0x18,
  Cancel: 0x19,
  Poll: 0x1a,
  Notify: 0x1b,
  Put: 0x1c,
  /** 1.1 */
  ReKeyKeyPair: 0x1d,
  /** 1.1: absent from 1.0, where old clients open with Query instead. */
  DiscoverVersions: 0x1e,
  /** 1.2 */
  Encrypt: 0x1f,
  Decrypt: 0x20,
  Sign: 0x21,
  SignatureVerify: 0x22,
  MAC: 0x23,
  MACVerify: 0x24,
  RNGRetrieve: 0x25,
  RNGSeed: 0x26,
  Hash: 0x27,
  CreateSplitKey: 0x28,
  JoinSplitKey: 0x29,
  /** 1.4 */
  Import: 0x2a,
  Export: 0x2b,
  /** 2.x */
  Log: 0x2c,
  Login: 0x2d,
  Logout: 0x2e,
  DelegatedLogin: 0x2f,
  AdjustAttribute: 0x30,
  SetAttribute: 0x31,
  SetEndpointRole: 0x32,
  PKCS11: 0x33,
  Interop: 0x34,
  ReProvision: 0x35,
  /** 2.1 */
  SetDefaults: 0x36,
  SetConstraints: 0x37,
  GetConstraints: 0x38,
  QueryAsynchronousRequests: 0x39,
  Process: 0x3a,
  Ping: 0x3b,
} as const;

export const ObjectType = {
  Certificate: 0x01,
  SymmetricKey: 0x02,
  PublicKey: 0x03,
  PrivateKey: 0x04,
  SplitKey: 0x05,
  /** 1.x */
  Template: 0x06,
  SecretData: 0x07,
  OpaqueObject: 0x08,
  /** 1.2 */
  PGPKey: 0x09,
  /** 2.x */
  CertificateRequest: 0x0a,
} as const;

export const ResultStatus = {
  Success: 0x00,
  OperationFailed: 0x01,
  OperationPending: 0x02,
  OperationUndone: 0x03,
} as const;

export const ResultReason = {
  ItemNotFound: 0x01,
  ResponseTooLarge: 0x02,
  AuthenticationNotSuccessful: 0x03,
  InvalidMessage: 0x04,
  OperationNotSupported: 0x05,
  MissingData: 0x06,
  InvalidField: 0x07,
  FeatureNotSupported: 0x08,
  OperationCanceledByRequester: 0x09,
  CryptographicFailure: 0x0a,
  /** 1.x */
  IllegalOperation: 0x0b,
  PermissionDenied: 0x0c,
  ObjectArchived: 0x0d,
  /** 1.x */
  IndexOutOfBounds: 0x0e,
  ApplicationNamespaceNotSupported: 0x0f,
  KeyFormatTypeNotSupported: 0x10,
  KeyCompressionTypeNotSupported: 0x11,
  /** 1.1 */
  EncodingOptionError: 0x12,
  /** 1.2 */
  KeyValueNotPresent: 0x13,
  AttestationRequired: 0x14,
  AttestationFailed: 0x15,
  /** 1.4 */
  Sensitive: 0x16,
  NotExtractable: 0x17,
  ObjectAlreadyExists: 0x18,
  /** 2.x from here to the end, except GeneralFailure. */
  InvalidTicket: 0x19,
  UsageLimitExceeded: 0x1a,
  NumericRange: 0x1b,
  InvalidDataType: 0x1c,
  ReadOnlyAttribute: 0x1d,
  MultiValuedAttribute: 0x1e,
  UnsupportedAttribute: 0x1f,
  AttributeInstanceNotFound: 0x20,
  AttributeNotFound: 0x21,
  AttributeReadOnly: 0x22,
  AttributeSingleValued: 0x23,
  BadCryptographicParameters: 0x24,
  BadPassword: 0x25,
  CodecError: 0x26,
  IllegalObjectType: 0x28,
  IncompatibleCryptographicUsageMask: 0x29,
  InternalServerError: 0x2a,
  InvalidAsynchronousCorrelationValue: 0x2b,
  InvalidAttribute: 0x2c,
  InvalidAttributeValue: 0x2d,
  InvalidCorrelationValue: 0x2e,
  InvalidCSR: 0x2f,
  InvalidObjectType: 0x30,
  KeyWrapTypeNotSupported: 0x32,
  MissingInitializationVector: 0x34,
  NonUniqueNameAttribute: 0x35,
  ObjectDestroyed: 0x36,
  ObjectNotFound: 0x37,
  NotAuthorised: 0x39,
  ServerLimitExceeded: 0x3a,
  UnknownEnumeration: 0x3b,
  UnknownMessageExtension: 0x3c,
  UnknownTag: 0x3d,
  UnsupportedCryptographicParameters: 0x3e,
  UnsupportedProtocolVersion: 0x3f,
  WrappingObjectArchived: 0x40,
  WrappingObjectDestroyed: 0x41,
  WrappingObjectNotFound: 0x42,
  WrongKeyLifecycleState: 0x43,
  ProtectionStorageUnavailable: 0x44,
  PKCS11CodecError: 0x45,
  PKCS11InvalidFunction: 0x46,
  PKCS11InvalidInterface: 0x47,
  GeneralFailure: 0x100,
} as const;

export const CryptographicAlgorithm = {
  DES: 0x01,
  TripleDES: 0x02,
  AES: 0x03,
  RSA: 0x04,
  DSA: 0x05,
  ECDSA: 0x06,
  HMACSHA1: 0x07,
  HMACSHA224: 0x08,
  HMACSHA256: 0x09,
  HMACSHA384: 0x0a,
  HMACSHA512: 0x0b,
  HMACMD5: 0x0c,
  DH: 0x0d,
  ECDH: 0x0e,
  ECMQV: 0x0f,
  Blowfish: 0x10,
  Camellia: 0x11,
  CAST5: 0x12,
  IDEA: 0x13,
  MARS: 0x14,
  RC2: 0x15,
  RC4: 0x16,
  RC5: 0x17,
  SKIPJACK: 0x18,
  Twofish: 0x19,
  /** 1.2 */
  EC: 0x1a,
  /** 1.3 */
  OneTimePad: 0x1b,
  /** 1.4 */
  ChaCha20: 0x1c,
  Poly1305: 0x1d,
  ChaCha20Poly1305: 0x1e,
  SHA3_224: 0x1f,
  SHA3_256: 0x20,
  SHA3_384: 0x21,
  SHA3_512: 0x22,
  HMACSHA3_224: 0x23,
  HMACSHA3_256: 0x24,
  HMACSHA3_384: 0x25,
  HMACSHA3_512: 0x26,
  SHAKE128: 0x27,
  SHAKE256: 0x28,
  /** 2.x */
  ARIA: 0x29,
  SEED: 0x2a,
  SM2: 0x2b,
  SM3: 0x2c,
  SM4: 0x2d,
  Ed25519: 0x37,
  Ed448: 0x38,
} as const;

/** Bits of the Cryptographic Usage Mask (an Integer, not an Enumeration, on the wire). */
export const CryptographicUsageMask = {
  Sign: 0x0001,
  Verify: 0x0002,
  Encrypt: 0x0004,
  Decrypt: 0x0008,
  WrapKey: 0x0010,
  UnwrapKey: 0x0020,
  Export: 0x0040,
  MACGenerate: 0x0080,
  MACVerify: 0x0100,
  DeriveKey: 0x0200,
  ContentCommitment: 0x0400,
  KeyAgreement: 0x0800,
  CertificateSign: 0x1000,
  CRLSign: 0x2000,
  /** 2.x */
  Authenticate: 0x100000,
  Unrestricted: 0x200000,
} as const;

export const State = {
  PreActive: 0x01,
  Active: 0x02,
  Deactivated: 0x03,
  Compromised: 0x04,
  Destroyed: 0x05,
  DestroyedCompromised: 0x06,
} as const;

export const NameType = {
  UninterpretedTextString: 0x01,
  URI: 0x02,
} as const;

/** 1.2 */
export const AlternativeNameType = {
  UninterpretedTextString: 0x01,
  URI: 0x02,
  ObjectSerialNumber: 0x03,
  EmailAddress: 0x04,
  DNSName: 0x05,
  X500DistinguishedName: 0x06,
  IPAddress: 0x07,
} as const;

export const QueryFunction = {
  QueryOperations: 0x01,
  QueryObjects: 0x02,
  QueryServerInformation: 0x03,
  QueryApplicationNamespaces: 0x04,
  /** 1.1 */
  QueryExtensionList: 0x05,
  QueryExtensionMap: 0x06,
  /** 1.2 */
  QueryAttestationTypes: 0x07,
  /** 1.3 */
  QueryRNGs: 0x08,
  QueryValidations: 0x09,
  QueryProfiles: 0x0a,
  QueryCapabilities: 0x0b,
  QueryClientRegistrationMethods: 0x0c,
  /** 2.x */
  QueryDefaultsInformation: 0x0d,
  QueryStorageProtectionMasks: 0x0e,
} as const;

export const KeyFormatType = {
  Raw: 0x01,
  Opaque: 0x02,
  PKCS1: 0x03,
  PKCS8: 0x04,
  X509: 0x05,
  ECPrivateKey: 0x06,
  TransparentSymmetricKey: 0x07,
  TransparentDSAPrivateKey: 0x08,
  TransparentDSAPublicKey: 0x09,
  TransparentRSAPrivateKey: 0x0a,
  TransparentRSAPublicKey: 0x0b,
  TransparentDHPrivateKey: 0x0c,
  TransparentDHPublicKey: 0x0d,
  /** 1.3 */
  TransparentECPrivateKey: 0x14,
  TransparentECPublicKey: 0x15,
  /** 1.4 */
  PKCS12: 0x16,
} as const;

export const RevocationReasonCode = {
  Unspecified: 0x01,
  KeyCompromise: 0x02,
  CACompromise: 0x03,
  AffiliationChanged: 0x04,
  Superseded: 0x05,
  CessationOfOperation: 0x06,
  PrivilegeWithdrawn: 0x07,
} as const;

export const BatchErrorContinuationOption = {
  Continue: 0x01,
  Stop: 0x02,
  Undo: 0x03,
} as const;

export const CredentialType = {
  UsernameAndPassword: 0x01,
  /** 1.1 */
  Device: 0x02,
  /** 1.2 */
  Attestation: 0x03,
  /** 2.x */
  OneTimePassword: 0x04,
  HashedPassword: 0x05,
  Ticket: 0x06,
} as const;

/** Bits of the Storage Status Mask (an Integer on the wire), used by Locate. */
export const StorageStatusMask = {
  OnlineStorage: 0x01,
  ArchivalStorage: 0x02,
  /** 2.x */
  DestroyedStorage: 0x04,
} as const;

export const LinkType = {
  CertificateLink: 0x101,
  PublicKeyLink: 0x102,
  PrivateKeyLink: 0x103,
  DerivationBaseObjectLink: 0x104,
  DerivedKeyLink: 0x105,
  ReplacementObjectLink: 0x106,
  ReplacedObjectLink: 0x107,
  /** 1.2 */
  ParentLink: 0x108,
  ChildLink: 0x109,
  PreviousLink: 0x10a,
  NextLink: 0x10b,
  /** 1.4 */
  PKCS12CertificateLink: 0x10c,
  PKCS12PasswordLink: 0x10d,
  /** 2.x */
  WrappingKeyLink: 0x10e,
} as const;

/** 2.x: an Enumeration that may stand in for a Unique Identifier text in a request. */
export const UniqueIdentifierEnum = {
  IDPlaceholder: 0x01,
  Certify: 0x02,
  Create: 0x03,
  CreateKeyPair: 0x04,
  CreateKeyPairPrivateKey: 0x05,
  CreateKeyPairPublicKey: 0x06,
  CreateSplitKey: 0x07,
  DeriveKey: 0x08,
  Import: 0x09,
  JoinSplitKey: 0x0a,
  Locate: 0x0b,
  Register: 0x0c,
  ReKey: 0x0d,
  ReCertify: 0x0e,
  ReKeyKeyPair: 0x0f,
  ReKeyKeyPairPrivateKey: 0x10,
  ReKeyKeyPairPublicKey: 0x11,
} as const;

/** 2.x (in 1.x the Asynchronous Indicator is a Boolean). */
export const AsynchronousIndicator = {
  Mandatory: 0x01,
  Optional: 0x02,
  Prohibited: 0x03,
} as const;

export const SecretDataType = {
  Password: 0x01,
  Seed: 0x02,
} as const;

export const WrappingMethod = {
  Encrypt: 0x01,
  MACSign: 0x02,
  EncryptThenMACSign: 0x03,
  MACSignThenEncrypt: 0x04,
  TR31: 0x05,
} as const;

export const BlockCipherMode = {
  CBC: 0x01,
  ECB: 0x02,
  PCBC: 0x03,
  CFB: 0x04,
  OFB: 0x05,
  CTR: 0x06,
  CMAC: 0x07,
  CCM: 0x08,
  GCM: 0x09,
  CBCMAC: 0x0a,
  XTS: 0x0b,
  AESKeyWrapPadding: 0x0c,
  NISTKeyWrap: 0x0d,
  X9102AESKW: 0x0e,
} as const;

export const EncodingOption = {
  NoEncoding: 0x01,
  TTLVEncoding: 0x02,
} as const;

/** 2.x: Interop Begin, End and Reset. */
export const InteropFunction = {
  Begin: 0x01,
  End: 0x02,
  Reset: 0x03,
} as const;

/** Bits of the 2.x Protection Storage Mask (an Integer on the wire). */
export const ProtectionStorageMask = {
  Software: 0x01,
  Hardware: 0x02,
} as const;

/** Reverse lookup for logs and test messages: `enumName(Operation, 10) === 'Get'`. */
export function enumName(table: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return undefined;
}
