export { KmipTlsServer, KMIP_PORT, TRANSPORT_DEFAULTS, type KmipTlsServerOptions } from './server.js';
export type { ConnectionInfo, FrameHandler, FramesHandler, OversizeHandler, ConnectionLimits } from './connection.js';
export type { ClientIdentity } from './identity.js';
export { FrameReader, frameLengthOf, DEFAULT_MAX_FRAME_BYTES, TTLV_HEADER_BYTES, type FrameEvent } from './frame-reader.js';
export { silentLogger, type TransportLogger } from './logger.js';
export { TLS12_CIPHERS, TLS13_CIPHERSUITES, TLS_MIN_VERSION, TLS_MAX_VERSION, type ServerTlsMaterial } from './tls-policy.js';
export { REFUSAL_LOG_LIMITS, type RefusalLogLimits } from './refusal-log.js';
export { REFUSAL_CODES, type RefusalCode } from './refusal-codes.js';
