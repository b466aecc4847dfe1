import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { extract } from 'tar';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mdStatus } from '../../drivers/raid/md-status.js';
import { parseMdadmDetailExport } from '../../drivers/raid/mdadm-detail.js';
import { parseMdstat } from '../../drivers/raid/mdstat.js';
import { parseSmartctlJson } from '../../drivers/disks/smartctl.js';
import { setPassword } from '../../src/admin/console-password.js';
import { realWorld } from '../../src/engine/index.js';
import { verifyAudit } from '../../src/logs/audit-verify.js';
import { initBackupKey } from '../helpers/backup-key.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let out: string;
const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args]);

beforeAll(() => {
  dir = tempDir('qkm-capture-');
  out = tempDir('qkm-capture-out-');
});
afterAll(() => {
  removeDir(dir);
  removeDir(out);
});

/** Every file under `root`, by its path inside it. */
function filesUnder(root: string, at = ''): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const name of readdirSync(path.join(root, at))) {
    const rel = path.join(at, name);
    if (statSync(path.join(root, rel)).isDirectory()) for (const [k, v] of filesUnder(root, rel)) found.set(k, v);
    else found.set(rel, readFileSync(path.join(root, rel)));
  }
  return found;
}

it('-L captures the logs, configuration, tickets and the storage tools\' outputs while the key server runs, and never a key or the password hash', async () => {
  const d = await startQkmd(['--data-dir', dir]);
  let serial: string;
  try {
    expect(run('keys', 'generate', '--library', 'LIB1', '--class', 'i500').code).toBe(0);
    initBackupKey(dir);
    expect(run('backup').code).toBe(0);
    await setPassword(dir, 'a-new-console-password', realWorld);
    expect(run('sim', 'pull-disk', '1').code).toBe(0);
    const hw = JSON.parse(run('hw', 'status', '--json').stdout) as { raid: { state: string } };

    const r = run('-L');
    expect(r.code, r.stderr).toBe(0);
    expect(run('key-service', 'status').stdout).toMatch(/serving|running/i);
    serial = readFileSync(path.join(dir, 'serial'), 'utf8').trim();
    const name = readdirSync(dir).find((f) => f.startsWith('qkm_logcapture_'))!;
    expect(name).toMatch(new RegExp(`^qkm_logcapture_${serial}\\d{14}\\.tgz$`));
    expect(r.stdout).toContain(`Wrote ${path.join(dir, name)} (`);
    await extract({ file: path.join(dir, name), cwd: out });

    const files = filesUnder(out);
    expect([...files.keys()].sort()).toEqual(expect.arrayContaining([
      'config/effective.json', 'config/qkm.toml', 'hw-status.json', 'logs/audit.log', 'logs/qkmcmds.log', 'logs/qkmd.log',
      'manifest.json', 'mdadm/md0.export', 'mdadm/md0.txt', 'proc/mdstat', 'smartctl/sda.json', 'smartctl/sdb.json', 'tickets.json',
    ]));
    // The simulator answered the tools as a box in its state would: the real parsers read it back as hw status shows it.
    const [array] = parseMdstat(files.get('proc/mdstat')!.toString());
    const detail = parseMdadmDetailExport(files.get('mdadm/md0.export')!.toString());
    expect(mdStatus(array!, { 0: 'sda', 1: 'sdb' }, detail).state).toBe(hw.raid.state);
    expect(hw.raid.state).toBe('degraded');
    expect(parseSmartctlJson(0, files.get('smartctl/sda.json')!.toString(), 0)).toMatchObject({ present: true, smartPassed: true });
    expect(parseSmartctlJson(1, files.get('smartctl/sdb.json')!.toString(), 2).present).toBe(false);
    expect(JSON.parse(files.get('tickets.json')!.toString())).toEqual(expect.arrayContaining([expect.objectContaining({ condition: expect.stringContaining('disk') })]));
    // The audit chain travels whole, the capture itself recorded in it.
    expect(verifyAudit(out).intact).toBe(true);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { serial: string; files: { path: string }[]; problems: unknown[] };
    expect(manifest).toMatchObject({ serial, problems: [] });
    expect(manifest.files.map((f) => f.path)).toContain('proc/mdstat');
  } finally {
    d.child.kill('SIGTERM');
    await d.exited;
  }
  expect(readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8')).toMatch(/"action":"capture logs","outcome":"done"/);

  // No secret of the box in any captured file, in any encoding.
  const master = readFileSync(path.join(dir, 'keystore', 'master.key'));
  const engine = openEngine(dir, { serial: serial! }, realWorld);
  const name = (engine.store.db.prepare('SELECT name FROM keys LIMIT 1').get() as { name: string }).name;
  const material = engine.lookup(name).material;
  engine.store.close();
  const pemBody = (file: string) => readFileSync(path.join(dir, 'tls', file), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  const hash = (JSON.parse(readFileSync(path.join(dir, 'console', 'akmadmin.scrypt.json'), 'utf8')) as Record<string, string>);
  const secrets = [
    master, Buffer.from(master.toString('hex')), Buffer.from(master.toString('base64')),
    material, Buffer.from(material.toString('hex')), Buffer.from(material.toString('base64')),
    Buffer.from(pemBody('ca.key').slice(0, 64)), Buffer.from(pemBody('server.key').slice(0, 64)),
    ...Object.values(hash).filter((v) => typeof v === 'string' && v.length >= 16).map((v) => Buffer.from(v)),
  ];
  expect(secrets.length).toBeGreaterThan(8);
  for (const [file, content] of filesUnder(out)) {
    for (const secret of secrets) expect(content.includes(secret), `${file} holds a secret`).toBe(false);
  }
});
