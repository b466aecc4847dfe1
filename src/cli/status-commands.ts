import type { Command } from 'commander';
import type { LedState } from '../../drivers/leds/contract.js';
import { controlRequest } from '../control/client.js';
import type { StatusDocument } from '../status/document.js';
import { createViewerToken, listViewerTokens, revokeViewerToken } from '../web/viewer-tokens.js';
import { noteAudit } from './audited-command.js';
import type { HwCommandDeps } from './hw-commands.js';
import { formatTable } from './table.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

const lamp = (s: LedState) => (s.state === 'blink' ? `blink ${s.periodMs >= 1000 ? `${s.periodMs / 1000} s` : `${s.periodMs} ms`}` : s.state);

/** `qkmcmds status` without --json: the status page in a few lines. */
export function statusSummary(d: StatusDocument): string[] {
  const h = d.hardware;
  const r = h.raid;
  const lines = [
    `qkm ${d.server.version} on server ${d.server.serial} (${d.server.hostname}), ${d.server.profile} hardware`,
    `Panel: power ${lamp(h.leds.power)}, HDD activity ${lamp(h.leds.hddActivity)}, server error ${lamp(h.leds.serverError)}, CD ${lamp(h.leds.cdActivity)}`,
    ...h.leds.bays.map((b) => {
      const disk = h.disks.find((x) => x.bay === b.bay);
      const what = disk?.present ? `${disk.model ?? '?'} ${disk.serial ?? '?'}, SMART ${disk.smartPassed === null ? 'unknown' : disk.smartPassed ? 'passed' : 'FAILING'}, ${disk.temperatureC ?? '?'} °C, ${disk.condition ?? 'unknown'}` : 'empty';
      return `Bay ${b.bay}: ${what}; activity ${lamp(b.activity)}, status ${lamp(b.status)}`;
    }),
    `RAID ${r.array ?? '?'}: ${r.state}, ${r.devicesInSync ?? '?'} of ${r.devicesTotal ?? '?'} in sync${r.percent === null ? '' : `, ${r.percent.toFixed(1)} %${r.finishSec === null ? '' : `, ${r.finishSec} s left`}`}`,
    d.tickets.length === 0 ? 'Tickets: none open' : `Tickets: ${d.tickets.length} open, newest #${d.tickets[0]!.id} ${d.tickets[0]!.severity.toUpperCase()} [${d.tickets[0]!.condition}]`,
  ];
  if (!d.keys.available) lines.push('Keys: the keystore is lent to the console for a restore');
  for (const l of d.keys.libraries) lines.push(`Keys of ${l.library}: ${l.used} used, ${l.unused} unused, ${l.pendingBackup} pending backup (${l.percentUsed} % used${l.depleted ? `, past the ${d.keys.depletionPercent} % line` : ''})`);
  lines.push(`Last backup: ${d.keys.lastBackupAt ?? 'never'}${d.keys.setsSinceBackup > 0 ? `; ${d.keys.keysSinceBackup} keys generated since are in no backup: run "qkmcmds backup"` : ''}`);
  lines.push(d.pair.role === 'standalone' ? 'Pair: standalone' : `Pair (${d.pair.role}): ${d.pair.peers.map((p) => `${p.serial ?? '?'} ${p.reachable ? 'reachable' : 'NOT reachable'}, ${p.lagEntries ?? '?'} behind`).join('; ') || 'no peer'}${d.pair.versionsDiffer ? '; VERSIONS DIFFER' : ''}`);
  const s = d.software;
  lines.push(`Software: qkm ${s.active.version} (slot ${s.active.slot})${s.trial ? ', on trial' : ''}; previous ${s.previous ? `qkm ${s.previous.version}` : 'none'}`);
  lines.push(`Last POST: ${h.post ? `${h.post.pattern} (${h.post.verdict})` : 'none heard'}`);
  return lines;
}

/** `qkmcmds status` and `qkmcmds status-token`: the appliance at a glance, and who may see the status page. */
export function addStatusCommands(program: Command, deps: HwCommandDeps): void {
  program.command('status')
    .description('the appliance at a glance (what the status page shows): panel, RAID, tickets, keys, pair, software')
    .option('--json', 'the status document, as GET /status.json serves it (schemas/status.schema.json)')
    .action(deps.action(async (o: { json?: boolean }) => {
      const doc = (await controlRequest(deps.context().config.paths.data_dir, { op: 'status' })) as StatusDocument;
      if (o.json) return out(JSON.stringify(doc, null, 2));
      for (const line of statusSummary(doc)) out(line);
    }));

  const tokens = program.command('status-token').description("read-only viewer tokens for the status page and /status.json (stored hashed)");
  tokens.command('create')
    .argument('<name>', 'who or what the token is for, e.g. "nagios" or "night shift"')
    .description('make a viewer token; it is printed once and cannot be shown again')
    .action(deps.action(async (name: string) => {
      const ctx = deps.context();
      const t = createViewerToken(ctx.config.paths.data_dir, name, ctx.world);
      noteAudit({ token: t.id, name: t.name });
      out(t.token);
      process.stderr.write(`Viewer token ${t.id} (${t.name}) made; it is shown only now. Log in with it at the status page, or send it as "Authorization: Bearer TOKEN".\n`);
    }));
  tokens.command('revoke')
    .argument('<id-or-name>', 'the token, by the id or the name "status-token list" shows')
    .description('revoke a viewer token: pages using it are logged out at their next request')
    .action(deps.action(async (which: string) => {
      const t = revokeViewerToken(deps.context().config.paths.data_dir, which);
      noteAudit({ token: t.id, name: t.name });
      out(`Revoked viewer token ${t.id} (${t.name}).`);
    }));
  tokens.command('list')
    .description('the viewer tokens (ids and names; the tokens themselves are not kept)')
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { json?: boolean }) => {
      const list = listViewerTokens(deps.context().config.paths.data_dir);
      if (o.json) return out(JSON.stringify(list, null, 2));
      if (list.length === 0) return out('No viewer tokens.');
      for (const line of formatTable([['id', 'name', 'created'], ...list.map((t) => [t.id, t.name, t.createdAt])])) out(line);
    }));
}
