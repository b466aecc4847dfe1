import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMBEDDED_CONFIG, PACKAGE_ROOT, loadConfig } from '../../src/config/config.js';
import { SETTINGS, envName } from '../../src/config/schema.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
beforeEach(() => (dir = tempDir('qkm-config-')));
afterEach(() => removeDir(dir));

function file(text: string): string {
  const f = path.join(dir, 'site.toml');
  writeFileSync(f, text);
  return f;
}

const fails = (opts: Parameters<typeof loadConfig>[0]) => {
  try {
    loadConfig({ env: {}, ...opts });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
};

describe('the embedded default', () => {
  it('has the appliance facts and a data directory inside the checkout', () => {
    const c = loadConfig({ env: {} });
    expect(c.paths.data_dir).toBe(path.join(PACKAGE_ROOT, 'var'));
    expect(c.server.hostname).toBe('qkmserver');
    expect(c.kmip.port).toBe(6000);
    expect(c.keys).toEqual({ i500: 1024, i2000: 4096, depletion_percent: 80, require_backup: true });
    expect(c.hardware.profile).toBe('sim');
    expect(c.pair).toEqual({ role: 'standalone', peer: '', host: '127.0.0.1', port: 6100, generation_timeout_seconds: 30 });
  });

  it('comments every key it sets', async () => {
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(EMBEDDED_CONFIG, 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (/^\w+\s*=/.test(l)) expect(lines[i - 1], `key on line ${i + 1} has no comment above it`).toMatch(/^#/);
    });
    for (const s of SETTINGS) expect(lines.some((l) => l.startsWith(`${s.key} =`)), `${s.section}.${s.key} missing`).toBe(true);
  });
});

describe('load order', () => {
  it('defaults < config/qkm.toml < --config < environment < --data-dir', () => {
    const f = file('[kmip]\nport = 6100\n[keys]\ni500 = 10\n[paths]\ndata_dir = "site-data"\n');
    const c = loadConfig({ configFile: f, env: { QKM_KMIP_PORT: '6200', QKM_KEYS_REQUIRE_BACKUP: 'false' } });
    expect(c.kmip.port).toBe(6200);
    expect(c.keys.i500).toBe(10);
    expect(c.keys.require_backup).toBe(false);
    expect(c.paths.data_dir).toBe(path.join(dir, 'site-data')); // relative to the file that said it
    expect(loadConfig({ configFile: f, env: {}, dataDir: 'x', cwd: '/srv' }).paths.data_dir).toBe('/srv/x');
  });

  it('has one environment variable per key', () => {
    expect(SETTINGS.map(envName)).toContain('QKM_PATHS_DATA_DIR');
    expect(new Set(SETTINGS.map(envName)).size).toBe(SETTINGS.length);
  });
});

describe('every value is validated with one sentence naming key, file and line', () => {
  it('an unknown key', () => {
    const f = file('[kmip]\nhost = "0.0.0.0"\nprot = 6000\n');
    expect(fails({ configFile: f })).toBe(`Unknown key kmip.prot in ${f} line 3; [kmip] allows host, port, max_connections, max_unauthenticated, max_unauthenticated_per_address.`);
  });
  it('an unknown section', () => {
    const f = file('\n[kmipp]\nport = 1\n');
    expect(fails({ configFile: f })).toMatch(new RegExp(`^Unknown section \\[kmipp\\] in ${f} line 2; allowed sections are \\[paths\\]`));
  });
  it('a wrong type', () => {
    const f = file('[keys]\n\ni2000 = "4096"\n');
    expect(fails({ configFile: f })).toBe(`keys.i2000 in ${f} line 3 is "4096", but it must be a whole number from 1 to 1000000.`);
  });
  it('out of range', () => {
    const f = file('[keys]\ndepletion_percent = 100\n');
    expect(fails({ configFile: f })).toBe(`keys.depletion_percent in ${f} line 2 is 100, but it must be a whole number from 1 to 99.`);
  });
  it('an enumeration', () => {
    const f = file('[pair]\nrole = "master"\n');
    expect(fails({ configFile: f })).toMatch(/pair\.role in .* line 2 is "master", but it must be one of "standalone", "primary", "secondary"\./);
  });
  it('a pair peer that is not a list of host:port', () => {
    expect(fails({ env: { QKM_PAIR_PEER: '10.0.0.2' } })).toBe('pair.peer in environment variable QKM_PAIR_PEER is "10.0.0.2", but it must be empty, or host:port of the other server\'s pair link (up to nine, separated by commas).');
    const c = loadConfig({ configFile: file('[pair]\nrole = "primary"\npeer = "10.0.0.2:6100, qkm2.example:6100"\n'), env: {} });
    expect(c.pair).toMatchObject({ role: 'primary', peer: '10.0.0.2:6100, qkm2.example:6100' });
  });
  it('bad TOML', () => {
    const f = file('[kmip]\nport = \n');
    expect(fails({ configFile: f })).toBe(`The config file ${f} line 2 is not valid TOML; fix the syntax there.`);
  });
  it('a bad environment variable', () => {
    expect(fails({ env: { QKM_KMIP_PORT: 'six thousand' } })).toBe('kmip.port in environment variable QKM_KMIP_PORT is "six thousand", but it must be a whole number from 0 to 65535.');
  });
  it('a missing --config file', () => {
    expect(fails({ configFile: path.join(dir, 'nope.toml') })).toMatch(/^Cannot read the config file .*nope\.toml \(ENOENT\); check the path given to --config\.$/);
  });
});
