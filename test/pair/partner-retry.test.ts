/**
 * A partner's certificate imported on one server of a pair while the other is down reaches
 * the other by itself once it is back (two real qkmd processes on loopback, the peer
 * SIGKILLed): a replaced certificate, which the peer would never ask for since it holds the
 * old one; and a new partner the peer meanwhile stored another certificate for, which it
 * refuses for good, so the offer is dropped and a ticket on the importing server says so.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEncryptionCertificate } from '../../src/pki/authority.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import type { PairServerProcess } from '../helpers/pair.js';
import { type ServerPair, kill, restart, startServerPair } from '../helpers/pair-library.js';
import { type CommandResult, runQkmcmds } from '../helpers/qkmd-kmip.js';

let root: string;
let pair: ServerPair;

const at = (s: PairServerProcess, args: string[]) => runQkmcmds(['--data-dir', s.dir, ...args], s.env);

async function ok(s: PairServerProcess, args: string[]): Promise<CommandResult> {
  const done = await at(s, args);
  expect(done.code, `${done.stderr}${done.stdout}`).toBe(0);
  return done;
}

/** A partner site's encryption certificate, written to a file; returns the file and its fingerprint. */
function partnerCertificate(name: string): { file: string; fingerprint: string } {
  const { certPem } = issueEncryptionCertificate({ now: new Date(), serial: name });
  const file = path.join(root, `${name}.pem`);
  writeFileSync(file, certPem);
  return { file, fingerprint: new X509Certificate(certPem).fingerprint256 };
}

const partnerOn = async (s: PairServerProcess, name: string) =>
  (JSON.parse((await ok(s, ['cert', 'partners', '--json'])).stdout) as { name: string; fingerprint: string }[]).find((p) => p.name === name)?.fingerprint;

interface ShownTicket { condition: string; text: string; open: boolean; severity: string }
const tickets = async (s: PairServerProcess) => JSON.parse((await ok(s, ['tickets', '--all', '--json'])).stdout) as ShownTicket[];
const openTicket = async (s: PairServerProcess, condition: string) => (await tickets(s)).find((t) => t.open && t.condition === condition);

/** Polls `look` until it gives `want` (or fails after `ms`). */
async function eventually<T>(look: () => Promise<T>, want: T, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  let last = await look();
  while (last !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    last = await look();
  }
  expect(last).toBe(want);
}

beforeAll(async () => {
  root = tempDir('qkm-partner-retry-');
  pair = await startServerPair(path.join(root, 'pair'), { keys: 4, serials: ['QKMPRTA1', 'QKMPRTB1'] });
}, 90_000);

afterAll(async () => {
  if (pair) await Promise.all([pair.a.qkmd.stop(), pair.b.qkmd.stop()]);
  if (root) removeDir(root);
});

describe("a partner's certificate the peer missed", () => {
  it('a replacement imported while the peer is down reaches it when it is back, and the ticket closes', async () => {
    const old = partnerCertificate('SITEPOLD');
    const next = partnerCertificate('SITEPNEW');
    expect((await ok(pair.a, ['cert', 'import', old.file, '--name', 'SITEP'])).stdout).toContain('Also stored on the peer server QKMPRTB1');
    expect(await partnerOn(pair.b, 'SITEP')).toBe(old.fingerprint);

    await kill(pair.b);
    const replaced = await ok(pair.a, ['cert', 'import', next.file, '--name', 'SITEP', '--replace']);
    expect(replaced.stdout).toMatch(/Not stored on the peer at 127\.0\.0\.1:\d+ yet: .*cannot be reached.*\. qkmd sends it there by itself as soon as the peer answers \("qkmcmds pair status" shows the link\), and a ticket stays open until then; until then it wraps the keys it exports to SITEP for the certificate this one replaced\./);
    const pending = await openTicket(pair.a, 'partner-offer-pending:SITEP');
    expect(pending).toEqual(expect.objectContaining({ severity: 'warning', text: expect.stringContaining(`does not hold partner SITEP's new certificate (fingerprint ${next.fingerprint}) yet`) }));

    const status = await ok(pair.a, ['pair', 'status']);
    expect(status.stdout).toContain('  partner certificates it lacks: SITEP (imported here; sent as soon as the pair link works)');

    pair.b = await restart(pair.b);
    await eventually(() => partnerOn(pair.b, 'SITEP'), next.fingerprint);
    await eventually(async () => (await openTicket(pair.a, 'partner-offer-pending:SITEP')) === undefined, true);
    expect(JSON.parse((await ok(pair.a, ['pair', 'status', '--json'])).stdout)).toEqual([expect.objectContaining({ reachable: true, partnersNotSent: [] })]);
    expect((await tickets(pair.a)).filter((t) => t.condition.startsWith('partner-offer-'))).toEqual([expect.objectContaining({ condition: 'partner-offer-pending:SITEP', open: false })]);
  }, 90_000);

  it('a new partner the peer meanwhile stored another certificate for is refused there for good: dropped, with a ticket saying what to do', async () => {
    const ours = partnerCertificate('SITEQA');
    const theirs = partnerCertificate('SITEQB');
    await kill(pair.b);
    expect((await ok(pair.a, ['cert', 'import', ours.file, '--name', 'SITEQ'])).stdout).toMatch(/Not stored on the peer at 127\.0\.0\.1:\d+ yet: /);
    // B's administrator, with B's qkmd down, imports another certificate under the name: A refuses it.
    const onB = await ok(pair.b, ['cert', 'import', theirs.file, '--name', 'SITEQ']);
    expect(onB.stdout).toMatch(/Not stored on the peer at 127\.0\.0\.1:\d+, which refused it: A partner named SITEQ is already stored .*; if the one stored here is the partner's current one, import it here again with --replace to send it there\./);

    pair.b = await restart(pair.b);
    await eventually(async () => (await openTicket(pair.a, 'partner-offer-refused:SITEQ')) !== undefined, true);
    expect(await openTicket(pair.a, 'partner-offer-refused:SITEQ')).toEqual(expect.objectContaining({
      severity: 'error',
      text: expect.stringMatching(/^The peer at 127\.0\.0\.1:\d+ refused partner SITEQ's certificate imported on this server \(A partner named SITEQ is already stored .*\), and this server no longer offers it: .* import it here with "qkmcmds cert import FILE --name SITEQ --replace": it is sent to the peer\.$/),
    }));
    expect(await openTicket(pair.a, 'partner-offer-pending:SITEQ')).toBeUndefined();
    expect(await partnerOn(pair.b, 'SITEQ')).toBe(theirs.fingerprint);
    expect(readFileSync(path.join(pair.a.dir, 'logs', 'qkmd.log'), 'utf8')).toContain('partner certificate refused by the peer for good');
  }, 90_000);
});
