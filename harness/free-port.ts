import { createServer } from 'node:net';

/**
 * A loopback port free now (the kernel picks it), for a server that must be told its port
 * before it starts, or keep it across restarts. Another process may take it meanwhile;
 * the server then says so when it starts.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
