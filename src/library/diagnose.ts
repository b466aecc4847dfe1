/**
 * The library's path diagnostics, as the manual's three tests, for each key server:
 * Ping (the address answers a TCP connection), Path (the key service answers KMIP over
 * TLS with this library's certificates on that port), Config (the server's keystore
 * passes its integrity check, asked through qkm's vendor extension). A test whose
 * predecessor failed is not run. Each failure carries the advice the manual gives.
 */
import net from 'node:net';
import type { LibraryCredentials } from './bundle.js';
import type { ServerAddress } from './config.js';
import { LibraryError } from './errors.js';
import { KmipConnection } from './kmip-connection.js';
import { checkKeystore, discoverVersions, payloadOf, readCheck } from './requests.js';

export type TestName = 'Ping' | 'Path' | 'Config';

export interface TestResult {
  test: TestName;
  /** null: not run, because an earlier test failed. */
  passed: boolean | null;
  detail: string;
  /** What to do, when it failed. */
  advice?: string;
}

export interface ServerDiagnosis {
  server: ServerAddress;
  tests: TestResult[];
}

export const ADVICE: Record<TestName, string> = {
  Ping: "Check that the key server's host is running and that the library's network reaches it.",
  Path: "Check that the key server runs on that host and that the port and TLS certificates set on the library match the server's (the certificate bundle must come from that server's administrator).",
  Config: 'The server reports damaged key records. Run the test again; if it keeps failing before initial setup is complete, call support; after setup, restore the server from its most recent backup.',
};

export async function diagnose(servers: readonly ServerAddress[], creds: LibraryCredentials, timeoutMs: number): Promise<ServerDiagnosis[]> {
  return Promise.all(servers.map(async (server) => ({ server, tests: await diagnoseServer(server, creds, timeoutMs) })));
}

async function diagnoseServer(server: ServerAddress, creds: LibraryCredentials, timeoutMs: number): Promise<TestResult[]> {
  const ping = await pingTest(server, timeoutMs);
  if (!ping.passed) return [ping, notRun('Path', 'Ping'), notRun('Config', 'Ping')];
  let conn: KmipConnection | undefined;
  try {
    conn = await KmipConnection.open(server, creds, timeoutMs);
    const path = await pathTest(conn);
    if (!path.passed) return [ping, path, notRun('Config', 'Path')];
    return [ping, path, await configTest(conn)];
  } catch (e) {
    return [ping, failed('Path', e), notRun('Config', 'Path')];
  } finally {
    conn?.close();
  }
}

function pingTest(server: ServerAddress, timeoutMs: number): Promise<TestResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    const done = (r: TestResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ test: 'Ping', passed: false, detail: `no answer within ${timeoutMs / 1000} s`, advice: ADVICE.Ping }), timeoutMs);
    socket.once('connect', () => done({ test: 'Ping', passed: true, detail: 'the address answers' }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      // A host that refuses the port is up and reachable: the Path test says what is wrong.
      if (e.code === 'ECONNREFUSED') done({ test: 'Ping', passed: true, detail: 'the host answers, but nothing listens on that port' });
      else done({ test: 'Ping', passed: false, detail: e.code ?? e.message, advice: ADVICE.Ping });
    });
  });
}

async function pathTest(conn: KmipConnection): Promise<TestResult> {
  try {
    const answer = await conn.request([discoverVersions()]);
    payloadOf(conn.server, answer.batchItems[0]);
    return { test: 'Path', passed: true, detail: 'the key service answers KMIP over TLS with this library\'s certificate' };
  } catch (e) {
    return failed('Path', e);
  }
}

async function configTest(conn: KmipConnection): Promise<TestResult> {
  try {
    const answer = await conn.request([checkKeystore()]);
    const r = readCheck(conn.server, payloadOf(conn.server, answer.batchItems[0]));
    if (r.passed) return { test: 'Config', passed: true, detail: `${r.keysChecked} key records checked, none damaged` };
    const first = r.firstProblems.length > 0 ? ` (${r.firstProblems.join('; ')})` : '';
    return { test: 'Config', passed: false, detail: `${r.problems} problems in ${r.keysChecked} key records${first}`, advice: ADVICE.Config };
  } catch (e) {
    return failed('Config', e);
  }
}

function failed(test: TestName, e: unknown): TestResult {
  if (!(e instanceof LibraryError)) throw e;
  return { test, passed: false, detail: e.message, advice: ADVICE[test] };
}

function notRun(test: TestName, after: TestName): TestResult {
  return { test, passed: null, detail: `the ${after} test failed` };
}
