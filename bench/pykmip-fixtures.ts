/**
 * The project's own PyKMIP material (test/fixtures/pykmip, see its README.md): the captured
 * exchanges of PyKMIP's client and server, and what it takes to run PyKMIP's server.
 * Found from the package root so that bench/*.ts, dist/bench/*.js and the tests agree.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/config/config.js';

export const PYKMIP_FIXTURES_DIR = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'pykmip');
/** NN-op.req.hex / NN-op.resp.hex, and transcript.txt. */
export const PYKMIP_WIRE_DIR = path.join(PYKMIP_FIXTURES_DIR, 'wire');
/** make-certs.sh DIR: a CA, a server certificate for 127.0.0.1 and a client certificate. */
export const PYKMIP_MAKE_CERTS = path.join(PYKMIP_FIXTURES_DIR, 'make-certs.sh');
/** pykmip-server's settings, with {{DIR}} and {{PORT}} to fill in. */
export const PYKMIP_SERVER_CONF = path.join(PYKMIP_FIXTURES_DIR, 'server.conf.in');
