/**
 * The key engine's public face: what the key server (KMIP), the administration
 * operations and the command line may use. Everything else in this folder is the
 * engine's own business and may change without them noticing; tests may still reach in.
 */

// The world the engine runs in (clock, randomness, file root), injected by its caller.
export { type World, realWorld } from './world.js';

// The keystore and its engine: key sets, allocation, sync, tickets.
export { Keystore } from './keystore.js';
export { READABLE_FROM as KEYSTORE_READABLE_FROM, SCHEMA_VERSION as KEYSTORE_SCHEMA_VERSION } from './schema.js';
export { KeyEngine, LIBRARY_CLASSES, type LibraryClass, type LibraryStatus, type GenerateResult, type Progress } from './key-engine.js';
export { GroupCommit } from './group-commit.js';
export { cleanLeftovers } from './leftovers.js';
export { checkKeystore, type CheckReport } from './integrity.js';

// Keys as KMIP managed objects, and the object model the protocol layer encodes.
export { ManagedObjects, type Instances, type ImportedKey, type ImportOutcome, type ObjectKind } from './objects.js';
export { keysForExport, type ExportableKey, type ExportSelection } from './key-export.js';
export { KEY_NAME_PATTERN } from './names.js';
export { AES, FieldTag, KEY_BITS, isDestroyedState, type NewAttribute, type ObjectAttribute } from './object-model.js';
export { DEFAULT_USAGE_MASK, isKnownName, isMultiValued } from './attributes.js';
export { LIBRARY_NAME_PATTERN, TAPE_PATTERN } from './names.js';
/** Which of a Create's attributes names the tape (the Tape Library Profile's rule). */
export { tapeFor } from './tape.js';
export { LOCATE_CAP } from './object-locate.js';

// Backups: the backup key they are sealed to, taking one, restoring one, the copies kept aside.
export {
  type BackupKey,
  type BackupSecret,
  createPassphraseKey,
  createShareKey,
  loadBackupKey,
  requireBackupKey,
  saveBackupKey,
} from './backup-seal.js';
export { parseShareSpec, type ShareSpec } from './backup-shares.js';
export { takeBackup, type BackupResult } from './backup.js';
export { olderText, restoreBackup, type RestoreOptions, type RestoreResult } from './restore.js';
export { listKeptKeystores, removeKeptKeystore, type KeptKeystore } from './kept-keystores.js';

// The change journal the pair replays, and what each peer holds of it.
export { ChangeJournal, type JournalEntry, type JournalKind, type PeerState } from './journal.js';
export { PeerCopies, type HeldKey, type ReplicatedEntry } from './peer-copies.js';
export { requirePeerCopy } from './peer-wait.js';
