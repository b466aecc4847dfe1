import { UpdateError } from '../../errors.js';
import { type BundleSource, readSignedBundle, updatePublicKey, verifyPayload } from '../bundle/index.js';
import { readBootState, writeBootState } from './boot-state.js';
import { slotRoot, versionIn } from './launcher.js';

export interface RollbackOptions {
  dataDir: string;
  baseDir: string;
  publicKey: string;
}

/**
 * Makes the previous version the active one again (the manual's rule: only the one
 * previous version, and only with the CD of the version installed now). The CD proves
 * which version the operator means to leave; nothing changes unless it is that one.
 */
export async function rollBackTo(source: BundleSource, o: RollbackOptions): Promise<{ from: string; to: string }> {
  const state = readBootState(o.dataDir);
  const current = versionIn(slotRoot(o, state.active));
  const signed = await readSignedBundle(source, updatePublicKey(o.publicKey));
  if (signed.manifest.version !== current) {
    throw new UpdateError('ROLLBACK_WRONG_CD', `The CD holds qkm ${signed.manifest.version}, but qkm ${current} is installed; a rollback needs the CD of the installed version.`);
  }
  await verifyPayload(source, signed);
  if (!state.previous) {
    throw new UpdateError('ROLLBACK_NO_PREVIOUS', `There is no previous version to roll back to from qkm ${current} (none was installed before it on this box, or a failed trial replaced it).`);
  }
  const to = versionIn(slotRoot(o, state.previous));
  writeBootState(o.dataDir, { ...state, active: state.previous, previous: null, trial: null });
  return { from: current, to };
}
