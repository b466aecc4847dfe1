export { KmipMessageError, isKmipMessageError, type KmipMessageErrorCode, type KmipMessageErrorDetails } from './errors.js';
export { invalidMessage } from './fields.js';
export {
  SUPPORTED_VERSIONS,
  answeringVersion,
  compareVersions,
  formatVersion,
  protocolVersionItem,
  sameVersion,
  usesAttributesStructure,
  type ProtocolVersion,
} from './version.js';
export {
  DEFAULT_MAX_BATCH_ITEMS,
  decodeRequestMessage,
  encodeRequestMessage,
  parseRequestMessage,
  type RequestBatchItem,
  type RequestHeader,
  type RequestLimits,
  type RequestMessage,
} from './request.js';
export {
  decodeResponseMessage,
  echoOf,
  encodeResponseMessage,
  errorResponse,
  type EncodeResponseOptions,
  type ResponseBatchItem,
  type ResponseMessage,
} from './response.js';
export {
  attributeFromV1,
  attributeFromV2,
  attributeReferenceToName,
  attributeToV1,
  attributeToV2,
  attributesForVersion,
  attributesFromV2,
  attributesInPayload,
  attributesToV2,
  nameToAttributeReference,
  type KmipAttribute,
} from './attributes.js';
export {
  attributeExistsIn,
  attributeNameForTagV2,
  attributeTagV2,
  isCustomAttributeName,
  isStandardAttributeName,
  splitVendorName,
} from './attribute-names.js';
export { optionalField, requiredField, type FieldContext } from './fields.js';
