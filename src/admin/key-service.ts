import { controlRequest } from '../control/client.js';
import type { KeyServiceStatus } from '../control/key-service-handler.js';
import type { KeyServiceAction } from '../control/protocol.js';

export type { KeyServiceAction, KeyServiceStatus };

/** `key-service stop|start|status`: the running qkmd's key server, over its control socket. */
export async function keyService(dataDir: string, action: KeyServiceAction): Promise<KeyServiceStatus> {
  return (await controlRequest(dataDir, { op: 'key-service', action })) as KeyServiceStatus;
}
