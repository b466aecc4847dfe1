import { KmipConnection } from '../../library/kmip-connection.js';
import { discoverVersions, payloadOf } from '../../library/requests.js';
import { HEALTH_CHECK_CN, issueHealthCheckCertificate, loadCa, tlsDirOf, tlsPaths } from '../../pki/index.js';

/** Where qkmd says its key server listens, in its start-up lines (the launcher reads them). */
const LISTENING = /key server listening on (\S+):(\d+)/;

/** The key server's address from qkmd's start-up lines; a wildcard address is reached on loopback. */
export function keyServerAddress(startupLines: string): { host: string; port: number } | null {
  const m = LISTENING.exec(startupLines);
  if (!m) return null;
  const host = ['0.0.0.0', '::', '[::]'].includes(m[1]!) ? '127.0.0.1' : m[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(m[2]) };
}

/**
 * One real KMIP request to the key server a trial version runs: a Discover Versions over
 * mutual TLS with a client certificate the appliance CA issues for this check alone, in
 * memory. Resolves when the server answers it with Success; otherwise rejects saying why
 * (nothing listens, the handshake fails, no answer, a refusal).
 */
export async function askKeyServer(o: { dataDir: string; host: string; port: number; now: () => number; timeoutMs: number }): Promise<void> {
  const ca = await loadCa(tlsPaths(tlsDirOf(o.dataDir)));
  if (!ca) throw new Error(`there is no appliance CA in ${tlsDirOf(o.dataDir)} to issue the health-check certificate`);
  const mine = issueHealthCheckCertificate(ca, { now: new Date(o.now()) });
  const server = { role: 'primary' as const, host: o.host, port: o.port };
  const conn = await KmipConnection.open(server, { library: HEALTH_CHECK_CN, ca: Buffer.from(ca.certPem), cert: Buffer.from(mine.certPem), key: Buffer.from(mine.keyPem) }, o.timeoutMs);
  try {
    payloadOf(server, (await conn.request([discoverVersions()])).batchItems[0]);
  } finally {
    conn.close();
  }
}
