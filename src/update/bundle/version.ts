import { UpdateError } from '../../errors.js';

/**
 * qkm versions are three whole numbers (major.minor.patch), as package.json carries them.
 * No pre-release or build suffixes: an appliance installs releases only, and a version
 * that sorts one way here and another way elsewhere is a way to install an older one.
 */
const VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

export function isVersion(v: unknown): v is string {
  return typeof v === 'string' && VERSION.test(v);
}

function parts(v: string): number[] {
  const m = VERSION.exec(v);
  if (!m) throw new UpdateError('UPDATE_BAD_VERSION', `"${v.slice(0, 40)}" is not a qkm version (three whole numbers such as 1.4.0).`);
  return m.slice(1).map(Number);
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
