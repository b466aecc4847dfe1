import { type KeyObject, createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, scrypt, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BackupError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';
import { SEALED_MASTER_KEY_FILE, type Manifest } from './backup-format.js';
import { MAX_SHARES, type ShareSpec, combineShares, splitSecret } from './backup-shares.js';
import { MASTER_KEY_FILE } from './master-key.js';
import type { World } from './world.js';

/**
 * Sealing the master key inside a backup, so that a stolen pair of backup files reveals
 * no key. The administrator holds the backup key's secret outside the box: a passphrase
 * (stretched with scrypt into an X25519 private key) or M-of-N recovery shares of a
 * random X25519 private key. The box keeps only the public key, which is enough to take
 * backups unattended and not enough to open one.
 *
 * Each backup seals the master key to that public key with a fresh ephemeral X25519 key
 * (the KEM of HPKE's base mode, which Node 20 lacks as such): the shared secret, through
 * HKDF-SHA256 bound to both public keys, gives a one-time AES-256-GCM key. Nothing a
 * backup holds lets anyone derive that key without the private key.
 */

export const BACKUP_KEY_FILE = 'backup-key.json';

export interface ScryptParams { N: number; r: number; p: number; salt: string }

/** The public half of a backup key: all the box keeps, and what a sealed master key names. */
export interface BackupKey {
  format: 'qkm-backup-key';
  version: 1;
  /** 8 hex digits of SHA-256 of the public key: how shares, sentences and the status name it. */
  id: string;
  kind: 'passphrase' | 'shares';
  /** X25519 public key, base64. */
  publicKey: string;
  createdAt: string;
  /** Passphrase keys: how the passphrase is stretched into the private key. */
  scrypt?: ScryptParams;
  /** Share keys: how many shares were printed and how many rebuild the key. */
  shares?: ShareSpec;
}

export type BackupSecret = { passphrase: string } | { shares: string[] };
/** Asks the administrator for the secret of the backup key a backup is sealed to. */
export type Unlock = (key: BackupKey) => Promise<BackupSecret>;

interface SealedMasterKey {
  format: 'qkm-sealed-master-key';
  version: 1;
  backupKey: BackupKey;
  ephemeralPublicKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** About 0.3-0.6 s and 128 MiB per try on the appliance: a guesser pays that for every passphrase. */
export const DEFAULT_SCRYPT: Omit<ScryptParams, 'salt'> = { N: 2 ** 17, r: 8, p: 1 };
export const MIN_PASSPHRASE_LENGTH = 12;
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const WRAP_INFO = 'qkm backup master key wrap v1';

const privateKeyOf = (raw: Buffer): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
const publicKeyOf = (raw: Buffer): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
const rawPublicKey = (priv: KeyObject): Buffer => (createPublicKey(priv).export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_X25519.length);
const keyId = (publicKey: Buffer): string => createHash('sha256').update(publicKey).digest('hex').slice(0, 8);

function publicHalf(privateRaw: Buffer, world: World, rest: Pick<BackupKey, 'kind' | 'scrypt' | 'shares'>): BackupKey {
  const pub = rawPublicKey(privateKeyOf(privateRaw));
  return { format: 'qkm-backup-key', version: 1, id: keyId(pub), publicKey: pub.toString('base64'), createdAt: new Date(world.now()).toISOString(), ...rest };
}

function stretch(passphrase: string, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), Buffer.from(p.salt, 'base64'), 32, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + (1 << 20) }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

export async function createPassphraseKey(passphrase: string, world: World, params: Omit<ScryptParams, 'salt'> = DEFAULT_SCRYPT): Promise<BackupKey> {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new BackupError('PASSPHRASE_SHORT', `The passphrase is shorter than ${MIN_PASSPHRASE_LENGTH} characters; choose a longer one (a few unrelated words).`, { params: { min: MIN_PASSPHRASE_LENGTH } });
  }
  const scryptParams = { ...params, salt: world.randomBytes(16).toString('base64') };
  return publicHalf(await stretch(passphrase, scryptParams), world, { kind: 'passphrase', scrypt: scryptParams });
}

/** A random private key, split into shares that are returned once and kept nowhere. */
export async function createShareKey(spec: ShareSpec, world: World): Promise<{ key: BackupKey; shares: string[] }> {
  const secret = world.randomBytes(32);
  const key = publicHalf(secret, world, { kind: 'shares', shares: spec });
  const shares = await splitSecret(secret, key.id, spec);
  // Proof before anything is printed: the first M shares rebuild this very key.
  if (!(await combineShares(shares.slice(0, spec.threshold), key.id, spec)).equals(secret)) throw new Error('recovery shares do not rebuild the backup key');
  return { key, shares };
}

function wrapKey(shared: Buffer, ephemeralPublic: Buffer, recipientPublic: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), WRAP_INFO, 32));
}

const aadOf = (key: BackupKey): Buffer => Buffer.from(`qkm-sealed-master-key v1 ${key.id} ${key.publicKey}`);

export function sealMasterKey(master: Buffer, key: BackupKey, world: World): string {
  const recipient = Buffer.from(key.publicKey, 'base64');
  const ephemeral = privateKeyOf(world.randomBytes(32));
  const ephemeralPublic = rawPublicKey(ephemeral);
  const shared = diffieHellman({ privateKey: ephemeral, publicKey: publicKeyOf(recipient) });
  const iv = world.randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrapKey(shared, ephemeralPublic, recipient), iv);
  cipher.setAAD(aadOf(key));
  const ciphertext = Buffer.concat([cipher.update(master), cipher.final()]);
  const sealed: SealedMasterKey = {
    format: 'qkm-sealed-master-key', version: 1, backupKey: key,
    ephemeralPublicKey: ephemeralPublic.toString('base64'), iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64'),
  };
  return `${JSON.stringify(sealed, null, 2)}\n`;
}

const SCRYPT_BOUNDS = { N: [2 ** 10, 2 ** 22], r: [1, 32], p: [1, 16] } as const;
const isBase64 = (v: unknown, bytes?: number): v is string =>
  typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && (bytes === undefined || Buffer.from(v, 'base64').length === bytes);
const inRange = (v: unknown, [lo, hi]: readonly [number, number]): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/**
 * Whether a backup key descriptor (the box's file, or one inside a backup) is whole: a
 * backup sealed under a descriptor that restore would refuse could never be restored.
 */
function isBackupKey(k: BackupKey | undefined): k is BackupKey {
  const scryptOk = k?.kind === 'passphrase' && !!k.scrypt && inRange(k.scrypt.N, SCRYPT_BOUNDS.N) && (k.scrypt.N & (k.scrypt.N - 1)) === 0
    && inRange(k.scrypt.r, SCRYPT_BOUNDS.r) && inRange(k.scrypt.p, SCRYPT_BOUNDS.p) && isBase64(k.scrypt.salt);
  const sharesOk = k?.kind === 'shares' && !!k.shares && inRange(k.shares.threshold, [2, MAX_SHARES]) && inRange(k.shares.count, [k.shares.threshold, MAX_SHARES]);
  return k?.format === 'qkm-backup-key' && k.version === 1 && isBase64(k.publicKey, 32)
    && k.id === keyId(Buffer.from(k.publicKey, 'base64')) && (scryptOk || sharesOk);
}

/** A sealed file is read from a backup someone handed us: every field is checked before use. */
function parseSealed(text: string, label: string): SealedMasterKey {
  const bad = (cause?: unknown): BackupError => new BackupError('BACKUP_UNREADABLE', `${label} holds a sealed master key this qkm cannot read; copy the file again from where the backup is kept.`, { cause, params: { file: label } });
  let s: SealedMasterKey;
  try {
    s = JSON.parse(text) as SealedMasterKey;
  } catch (e) {
    throw bad(e);
  }
  if (s?.format !== 'qkm-sealed-master-key' || s.version !== 1 || !isBackupKey(s.backupKey)
    || !isBase64(s.ephemeralPublicKey, 32) || !isBase64(s.iv, 12) || !isBase64(s.ciphertext, 32) || !isBase64(s.tag, 16)) {
    throw bad();
  }
  return s;
}

async function privateKeyFrom(key: BackupKey, secret: BackupSecret): Promise<Buffer> {
  if (key.kind === 'passphrase') {
    if (!('passphrase' in secret)) throw new BackupError('BACKUP_KEY_WRONG', `This backup is sealed to the passphrase of backup key ${key.id}; give that passphrase.`, { params: { keyId: key.id } });
    return stretch(secret.passphrase, key.scrypt!);
  }
  if (!('shares' in secret)) throw new BackupError('BACKUP_KEY_WRONG', `This backup is sealed to the recovery shares of backup key ${key.id}; give ${key.shares!.threshold} of them.`, { params: { keyId: key.id } });
  return combineShares(secret.shares, key.id, key.shares!);
}

/** Opens a sealed master key with the administrator's secret; a wrong secret is one sentence. */
export async function unsealMasterKey(text: string, label: string, unlock: Unlock): Promise<{ master: Buffer; backupKey: BackupKey }> {
  const s = parseSealed(text, label);
  const key = s.backupKey;
  const priv = privateKeyOf(await privateKeyFrom(key, await unlock(key)));
  const recipient = Buffer.from(key.publicKey, 'base64');
  if (!timingSafeEqual(rawPublicKey(priv), recipient)) {
    throw new BackupError('BACKUP_KEY_WRONG', key.kind === 'passphrase'
      ? `That passphrase does not open backup key ${key.id}, to which this backup is sealed; give the passphrase chosen for key ${key.id} when it was set up.`
      : `Those shares do not rebuild backup key ${key.id}, to which this backup is sealed (one of them was altered, or belongs to another set); give ${key.shares!.threshold} of the shares printed for key ${key.id}.`, { params: key.kind === 'passphrase' ? { keyId: key.id, wrongPassphrase: true } : { keyId: key.id } });
  }
  const ephemeralPublic = Buffer.from(s.ephemeralPublicKey, 'base64');
  const shared = diffieHellman({ privateKey: priv, publicKey: publicKeyOf(ephemeralPublic) });
  const decipher = createDecipheriv('aes-256-gcm', wrapKey(shared, ephemeralPublic, recipient), Buffer.from(s.iv, 'base64'));
  decipher.setAAD(aadOf(key));
  decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
  try {
    return { master: Buffer.concat([decipher.update(Buffer.from(s.ciphertext, 'base64')), decipher.final()]), backupKey: key };
  } catch (e) {
    throw new BackupError('BACKUP_TAMPERED', `${label}'s sealed master key was altered (it fails its authentication); copy the file again from where the backup is kept.`, { cause: e, params: { file: label } });
  }
}

// --- The box's copy of the public half -------------------------------------------------

export function loadBackupKey(dataDir: string): BackupKey | undefined {
  const file = path.join(dataDir, BACKUP_KEY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const k = JSON.parse(readFileSync(file, 'utf8')) as BackupKey;
    if (isBackupKey(k)) return k;
  } catch {
    // fall through to the sentence below
  }
  throw new BackupError('BACKUP_KEY_DAMAGED', `${file} is damaged; restore it from a copy, or set up a new backup key in its place.`, { params: { file } });
}

export function requireBackupKey(dataDir: string): BackupKey {
  const key = loadBackupKey(dataDir);
  if (!key) {
    throw new BackupError('BACKUP_KEY_MISSING', 'No backup key is set up, and without one a backup would hold the master key in clear; set one up once (recovery shares or a passphrase), then back up again.');
  }
  return key;
}

export function saveBackupKey(dataDir: string, key: BackupKey): string {
  const file = path.join(dataDir, BACKUP_KEY_FILE);
  writeFileDurable(file, `${JSON.stringify(key, null, 2)}\n`, 0o600);
  return file;
}

// --- Hooks for backup.ts and restore.ts ------------------------------------------------

/** backup.ts: puts the master key, sealed, into the app half's staging folder. */
export function writeSealedMasterKey(keystoreDir: string, stage: string, key: BackupKey, world: World): void {
  const master = readFileSync(path.join(keystoreDir, MASTER_KEY_FILE));
  const sealed = sealMasterKey(master, key, world);
  master.fill(0);
  parseSealed(sealed, SEALED_MASTER_KEY_FILE); // what restore will demand of it, proven now
  writeFileDurable(path.join(stage, SEALED_MASTER_KEY_FILE), sealed, 0o600);
}

/**
 * restore.ts: the master key of an unpacked app half, opened with the administrator's
 * secret (format 2), or as it lies in a format 1 backup (sealedTo undefined).
 */
export async function readBackupMasterKey(appDir: string, manifest: Manifest, label: string, unlock: Unlock | undefined): Promise<{ master: Buffer; sealedTo?: BackupKey }> {
  if (manifest.formatVersion < 2) return { master: readFileSync(path.join(appDir, MASTER_KEY_FILE)) };
  if (!unlock) throw new BackupError('BACKUP_SEALED', `${label} is sealed to a backup key; give its passphrase or recovery shares to restore it.`);
  const { master, backupKey } = await unsealMasterKey(readFileSync(path.join(appDir, SEALED_MASTER_KEY_FILE), 'utf8'), label, unlock);
  return { master, sealedTo: backupKey };
}
