import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';

/**
 * The appliance profile's install step, run as a person would (the script, under a
 * scratch root: never this machine's /etc), and the unit it writes checked by systemd's
 * own systemd-analyze verify.
 */
const SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'install-appliance');
const analyze = needsTool('systemd-analyze', 'systemd', 'test/install/systemd-unit.test.ts');

let root: string;
beforeEach(() => {
  root = tempDir('qkm-install-');
});
afterEach(() => removeDir(root));

const install = (...args: string[]) => spawnSync(SCRIPT, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
const unitFile = () => path.join(root, 'etc', 'systemd', 'system', 'qkm.service');

/** The unit's settings, each key with every value it is given. */
function settings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('scripts/install-appliance', () => {
  it('installs the unit for qkm-launcher with the appliance profile, restart on failure and the hardening that fits, and the data directory it may write', () => {
    const r = install('--root', root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Installed .*qkm\.service/);
    expect(statSync(unitFile()).mode & 0o777).toBe(0o644);
    const unit = readFileSync(unitFile(), 'utf8');
    expect(unit).not.toMatch(/\{\{/);
    const s = settings(unit);
    expect(s.get('ExecStart')).toEqual([`${process.execPath} ${PACKAGE_ROOT}/bin/qkm-launcher.js --config ${PACKAGE_ROOT}/config/appliance.toml`]);
    expect(s.get('Restart')).toEqual(['on-failure']);
    expect(s.get('ProtectSystem')).toEqual(['strict']);
    // config/appliance.toml's data_dir, the one writable place.
    expect(s.get('ReadWritePaths')).toEqual(['/var/lib/qkm']);
    expect(s.get('PrivateTmp')).toEqual(['yes']);
    expect(s.get('NoNewPrivileges')).toEqual(['yes']);
    expect(s.get('CapabilityBoundingSet')![0]!.split(' ').sort()).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_RAWIO']);
    // The agent needs the disks, /dev/md0, the CD and the serial lines, and writes LEDs and md through /sys.
    expect(s.has('PrivateDevices')).toBe(false);
    expect(s.has('ProtectKernelTunables')).toBe(false);
    expect(s.get('WantedBy')).toEqual(['multi-user.target']);
    const dataDir = path.join(root, 'var', 'lib', 'qkm');
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    // Nothing else under the root, and no staging file left beside the unit.
    expect(readdirSync(root).sort()).toEqual(['etc', 'var']);
    expect(readdirSync(path.dirname(unitFile()))).toEqual(['qkm.service']);
    // Again: the same unit, replaced whole.
    expect(install('--root', root).status).toBe(0);
    expect(readFileSync(unitFile(), 'utf8')).toBe(unit);
    expect(readdirSync(path.dirname(unitFile()))).toEqual(['qkm.service']);
  });

  it.skipIf(analyze.skip)('writes a unit that systemd-analyze verify passes without a word', () => {
    expect(install('--root', root).status).toBe(0);
    const v = spawnSync('systemd-analyze', ['verify', unitFile()], { encoding: 'utf8' });
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe('');
    expect(v.status).toBe(0);
  });

  it('refuses a root that does not exist, or an install path systemd would split, in one sentence, and writes nothing', () => {
    const missing = install('--root', path.join(root, 'nowhere'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^The install root .*nowhere does not exist; give an existing folder \(\/ on the appliance\)\.\n$/);
    const spaced = install('--root', root, '--node', '/opt/node 20/bin/node');
    expect(spaced.status).toBe(1);
    expect(spaced.stderr).toMatch(/^The node path "\/opt\/node 20\/bin\/node" must be absolute and without spaces to go into a systemd unit; [^\n]*\n$/);
    expect(readdirSync(root)).toEqual([]);
  });
});
