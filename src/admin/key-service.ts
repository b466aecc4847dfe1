import { controlRequest } from '../control/client.js';
import { isQkmError } from '../errors.js';
import type { KeyServiceStatus } from '../control/key-service-handler.js';
import type { KeyServiceAction } from '../control/protocol.js';

export type { KeyServiceAction, KeyServiceStatus };

/** `key-service stop|start|status`: the running qkmd's key server, over its control socket. */
export async function keyService(dataDir: string, action: KeyServiceAction): Promise<KeyServiceStatus> {
  return (await controlRequest(dataDir, { op: 'key-service', action })) as KeyServiceStatus;
}

/**
 * Asks a running qkmd (its key service stopped) to close the keystore and let go of the
 * data directory, for a restore; false when no qkmd runs (nothing to borrow).
 */
export async function borrowKeystore(dataDir: string): Promise<boolean> {
  try {
    await controlRequest(dataDir, { op: 'keystore', action: 'release' });
    return true;
  } catch (e) {
    if (isQkmError(e) && e.code === 'QKMD_NOT_RUNNING') return false;
    throw e;
  }
}

/** Gives the keystore back to qkmd, which opens it as it now is. */
export async function returnKeystore(dataDir: string): Promise<void> {
  await controlRequest(dataDir, { op: 'keystore', action: 'reopen' });
}
