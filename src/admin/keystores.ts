/** `keystores list|remove`: the keystore copies that restores kept aside; the engine does all of it. */
export { listKeptKeystores, removeKeptKeystore, type KeptKeystore } from '../engine/index.js';
