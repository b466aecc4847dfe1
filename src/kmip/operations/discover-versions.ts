/** Discover Versions (KMIP 1.1+): the versions both sides speak, in the client's order of preference. */
import { SUPPORTED_VERSIONS, protocolVersionItem, readProtocolVersionItem } from './versions.js';
import { Operation, Tag, findChildren } from '../ttlv/index.js';
import type { OperationSpec } from './context.js';

export const discoverVersions: OperationSpec = {
  operation: Operation.DiscoverVersions,
  since: { major: 1, minor: 1 },
  mutates: false,
  run(payload) {
    const wanted = findChildren(payload, Tag.ProtocolVersion).map(readProtocolVersionItem);
    const answer = wanted.length === 0
      ? SUPPORTED_VERSIONS
      : wanted.filter((w) => SUPPORTED_VERSIONS.some((s) => s.major === w.major && s.minor === w.minor));
    return { payload: answer.map((v) => protocolVersionItem(v)) };
  },
};
