/** Protocol version helpers the operations share. */
import { SUPPORTED_VERSIONS, compareVersions, protocolVersionItem, type ProtocolVersion } from '../messages/index.js';
import { Tag, type TtlvItem } from '../ttlv/index.js';
import { field, invalidField } from './payload.js';

export { SUPPORTED_VERSIONS, protocolVersionItem };

export function readProtocolVersionItem(item: TtlvItem): ProtocolVersion {
  if (item.type !== 'Structure') throw invalidField('Protocol Version must be a Structure');
  const major = field(item, Tag.ProtocolVersionMajor, 'Integer');
  const minor = field(item, Tag.ProtocolVersionMinor, 'Integer');
  if (major === undefined || minor === undefined) throw invalidField('a Protocol Version needs its major and minor numbers');
  return { major, minor };
}

export function atLeast(v: ProtocolVersion, major: number, minor: number): boolean {
  return compareVersions(v, { major, minor }) >= 0;
}
