/**
 * qkm's vendor extensions of KMIP: what a tape library sends that KMIP has no operation
 * for (generating its key set, its key usage, the Config Test). Operation values are in
 * the specification's extension range (8XXXXXXX) and tags in its extension range
 * (54XXXX). The server (operations/qkm-*.ts) and the simulated library (src/library)
 * share these numbers; docs/kmip-extensions.md describes them for other clients.
 */
export const QkmOperation = {
  /** Generate the calling library's key set if its unused keys are insufficient. */
  GenerateLibraryKeys: 0x8000_0001,
  /** The calling library's keys on this server: total and used. */
  KeyUsage: 0x8000_0002,
  /** The Config Test: the keystore's integrity check. Sent alone in its request. */
  CheckKeystore: 0x8000_0003,
} as const;

export const QkmTag = {
  /** Text String, "i500" or "i2000". */
  LibraryClass: 0x54_0001,
  /** Boolean: a set was made (false: the library had enough unused keys). */
  Generated: 0x54_0002,
  /** Integer: keys in the new set, or the unused keys that made one unnecessary. */
  KeyCount: 0x54_0003,
  /** Integer: keys of the library on this server. */
  KeysTotal: 0x54_0004,
  /** Integer: of those, keys given to tapes. */
  KeysUsed: 0x54_0005,
  /** Boolean: the keystore passed its integrity check. */
  CheckPassed: 0x54_0006,
  /** Integer: key records checked. */
  KeysChecked: 0x54_0007,
  /** Integer: problems found. */
  ProblemCount: 0x54_0008,
  /** Text String, repeated: the first problems, "subject: problem". */
  Problem: 0x54_0009,
} as const;

/** At most this many Problem strings go in a Config Test answer (the count says the rest). */
export const MAX_PROBLEMS_SENT = 5;
