import type { QkmConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { parsePeerAddress, type PeerAddress } from './link-client.js';

/** The peers' pair links, from [pair] peer (several are configuration, not code). */
export function peerAddresses(config: QkmConfig): PeerAddress[] {
  return config.pair.peer.split(',').map((s) => s.trim()).filter((s) => s !== '').map(parsePeerAddress);
}

/** A standalone server with a peer configured would look paired and not be: refused. */
export function checkPairSettings(config: QkmConfig): void {
  if (config.pair.role === 'standalone' && config.pair.peer !== '') {
    throw new ConfigError('CONFIG_PAIR_ROLE', `pair.peer is "${config.pair.peer}" but pair.role is "standalone"; set pair.role to primary or secondary, or leave pair.peer empty.`);
  }
}
