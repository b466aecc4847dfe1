import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlRequest } from '../../src/control/client.js';
import { socketPath } from '../../src/control/protocol.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { silentLog } from '../../src/logs/logger.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let server: ControlServer | undefined;
beforeEach(() => {
  dir = tempDir('qkm-ctl-');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  removeDir(dir);
});

const echo = async (req: unknown) => ({ reply: { ok: true as const, result: { got: req } } });

describe('control socket', () => {
  it('answers JSON lines on an owner-only socket in the data directory, and removes it on close', async () => {
    server = await startControlServer(dir, echo, silentLog);
    expect(server.path).toBe(socketPath(dir));
    const st = statSync(server.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await controlRequest(dir, { op: 'hw-status' })).toEqual({ got: { op: 'hw-status' } });
    await expect(controlRequest(dir, { op: 'nonsense' } as never)).rejects.toThrow(/did not understand the request \(unknown request\)/);
    await server.close();
    server = undefined;
    expect(existsSync(socketPath(dir))).toBe(false);
  });

  it('says plainly when qkmd is not running', async () => {
    await expect(controlRequest(dir, { op: 'hw-status' })).rejects.toMatchObject({ code: 'QKMD_NOT_RUNNING', message: `qkmd is not running on ${dir}; start it (qkmd, or npm start) and try again.` });
  });

  it('replaces a socket left by a qkmd that died, but never one another qkmd answers on', async () => {
    // A process that listens and exits without closing leaves its socket file behind, as a killed qkmd does.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath(dir))}, () => process.exit(0))`]);
    expect(statSync(socketPath(dir)).isSocket()).toBe(true);
    await expect(controlRequest(dir, { op: 'hw-status' })).rejects.toMatchObject({ code: 'QKMD_NOT_RUNNING' });
    server = await startControlServer(dir, echo, silentLog);
    expect(await controlRequest(dir, { op: 'hw-status' })).toEqual({ got: { op: 'hw-status' } });
    await expect(startControlServer(dir, echo, silentLog)).rejects.toMatchObject({ code: 'CONTROL_SOCKET_IN_USE' });
  });

  it('refuses to delete a file that is not a socket', async () => {
    writeFileSync(socketPath(dir), 'precious');
    await expect(startControlServer(dir, echo, silentLog)).rejects.toMatchObject({ code: 'CONTROL_SOCKET_BLOCKED' });
  });

  it('a handler that throws costs one error reply, not the server', async () => {
    let n = 0;
    server = await startControlServer(dir, async () => {
      if (n++ === 0) throw new Error('boom');
      return { reply: { ok: true, result: 'fine' } };
    }, silentLog);
    await expect(controlRequest(dir, { op: 'hw-status' })).rejects.toThrow(/qkmd failed to handle the request \(boom\)/);
    expect(await controlRequest(dir, { op: 'hw-status' })).toBe('fine');
  });
});
