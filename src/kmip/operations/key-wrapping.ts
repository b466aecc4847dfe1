/**
 * Key wrapping on Get (KMIP Key Wrapping Specification): the key is encrypted under
 * another key this client holds, with AES Key Wrap (RFC 3394, NIST SP 800-38F KW) or AES
 * Key Wrap with Padding (RFC 5649, KWP) for material that is not a multiple of 8 bytes.
 * The wrapping key must be an Active AES key whose usage mask allows Wrap Key. Only the
 * Encrypt method with no encoding is done: MAC/sign and TTLV encoding are refused.
 */
import { createCipheriv } from 'node:crypto';
import type { ObjectKind } from '../../engine/index.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  EncodingOption,
  State,
  Tag,
  WrappingMethod,
  enumeration,
  findChild,
  structure,
  type TtlvItem,
  type TtlvStructure,
} from '../ttlv/index.js';
import type { OperationContext } from './context.js';
import { OperationError } from './errors.js';
import { field, invalidField, requiredField, uidItem } from './payload.js';

export interface Wrapped {
  /** The wrapped bytes: the Key Value of the answer's Key Block. */
  value: Buffer;
  /** The Key Wrapping Data that says how. */
  data: TtlvItem;
}

/** RFC 3394's and RFC 5649's initial values, as node:crypto expects them. */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KWP_IV = Buffer.from('a65959a6', 'hex');

/** Wraps `material` as the request's Key Wrapping Specification asks. */
export function wrapForGet(spec: TtlvStructure, material: Buffer, ctx: OperationContext): Wrapped {
  const method = requiredField(spec, Tag.WrappingMethod, 'Enumeration');
  if (method !== WrappingMethod.Encrypt) {
    throw new OperationError('FEATURE', `This server wraps keys with the Encrypt method only, not Wrapping Method ${method}.`);
  }
  if (findChild(spec, Tag.MACSignatureKeyInformation)) throw new OperationError('FEATURE', 'This server does not MAC or sign wrapped keys; leave out the MAC/Signature Key Information.');
  const encoding = field(spec, Tag.EncodingOption, 'Enumeration') ?? EncodingOption.NoEncoding;
  if (encoding !== EncodingOption.NoEncoding) throw new OperationError('FEATURE', 'This server wraps the key material alone (Encoding Option No Encoding), not its TTLV encoding.');
  const info = findChild(spec, Tag.EncryptionKeyInformation);
  if (info?.type !== 'Structure') throw invalidField('the Key Wrapping Specification lacks its Encryption Key Information');
  const wrappingUid = requiredField(info, Tag.UniqueIdentifier, 'TextString');
  const params = findChild(info, Tag.CryptographicParameters);
  const asked = params === undefined ? undefined : field(params, Tag.BlockCipherMode, 'Enumeration');
  const padded = asked === BlockCipherMode.AESKeyWrapPadding || (asked === undefined && material.length % 8 !== 0);
  if (asked !== undefined && asked !== BlockCipherMode.NISTKeyWrap && asked !== BlockCipherMode.AESKeyWrapPadding) {
    throw new OperationError('FEATURE', `This server wraps with AES Key Wrap (Block Cipher Mode NIST Key Wrap or AES Key Wrap Padding), not Block Cipher Mode ${asked}.`);
  }
  if (!padded && (material.length % 8 !== 0 || material.length < 16)) {
    throw invalidField(`AES Key Wrap takes material of 16 bytes or more in steps of 8; this is ${material.length} bytes, so ask for AES Key Wrap Padding`);
  }
  const kek = wrappingKey(ctx, wrappingUid);
  const cipher = createCipheriv(`id-aes${kek.length * 8}-wrap${padded ? '-pad' : ''}`, kek, padded ? KWP_IV : KW_IV);
  const value = Buffer.concat([cipher.update(material), cipher.final()]);
  kek.fill(0);
  const mode = padded ? BlockCipherMode.AESKeyWrapPadding : BlockCipherMode.NISTKeyWrap;
  const data = structure(Tag.KeyWrappingData, [
    enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
    structure(Tag.EncryptionKeyInformation, [
      uidItem(wrappingUid),
      structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, mode)]),
    ]),
    enumeration(Tag.EncodingOption, EncodingOption.NoEncoding),
  ]);
  return { value, data };
}

/** The wrapping key's material, once it proves fit: the caller's own, Active, AES, allowed to wrap. */
function wrappingKey(ctx: OperationContext, uid: string): Buffer {
  const kind: ObjectKind = ctx.objects.kind(ctx.library, uid);
  if (kind.spec?.algorithm !== CryptographicAlgorithm.AES) {
    throw invalidField(`the wrapping key ${uid} is not an AES key`);
  }
  if ((kind.usageMask & CryptographicUsageMask.WrapKey) === 0) {
    throw new OperationError('USAGE_MASK', `The key ${uid} may not wrap keys: its Cryptographic Usage Mask (${kind.usageMask}) lacks Wrap Key.`, { params: { uid, wanted: CryptographicUsageMask.WrapKey, allowed: kind.usageMask } });
  }
  const object = ctx.objects.describe(ctx.library, uid);
  if (object.state !== State.Active) {
    throw new OperationError('WRONG_STATE', `The wrapping key ${uid} is not Active; only an Active key wraps others.`, { params: { uid, state: object.state } });
  }
  return ctx.objects.material(ctx.library, uid);
}
