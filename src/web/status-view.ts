/**
 * The status page's body, drawn from the status document: the front panel, the bays,
 * RAID, tickets, keys, the pair, the software and the last POST. Sent whole at each
 * change (it is a few kilobytes), so the page has no drawing code of its own.
 */
import type { StatusDocument } from '../status/document.js';
import { duration, esc, when } from './html.js';
import { frontPanelSvg } from './panel-svg.js';

const CONDITION_WORDS: Record<string, string> = {
  'in-sync': 'in the mirror', rebuilding: 'rebuilding', new: 'new disk', spare: 'spare', faulty: 'FAULTY: replace it',
  'rebuild-failed': 'FAULTY: rebuild failed', empty: 'empty', unknown: 'unknown',
};

const section = (id: string, title: string, body: string, extra = '') => `<section id="${id}" class="card${extra}"><h2>${esc(title)}</h2>${body}</section>`;
const warn = (text: string) => `<p class="warning">${esc(text)}</p>`;

function bays(doc: StatusDocument): string {
  const cards = doc.hardware.leds.bays.map(({ bay }) => {
    const d = doc.hardware.disks.find((x) => x.bay === bay);
    if (!d?.present) return `<div class="bay-card" data-bay="${bay}"><h3>Bay ${bay}</h3><p class="bad">empty</p></div>`;
    const smart = d.smartPassed === null ? 'unknown' : d.smartPassed ? 'passed' : 'FAILING';
    const condition = CONDITION_WORDS[d.condition ?? 'unknown'] ?? d.condition ?? 'unknown';
    const bad = d.condition === 'faulty' || d.condition === 'rebuild-failed' || d.smartPassed === false;
    return [
      `<div class="bay-card${bad ? ' bad' : ''}" data-bay="${bay}"><h3>Bay ${bay}: ${esc(condition)}</h3><dl>`,
      `<dt>Model</dt><dd>${esc(d.model ?? 'unknown')}</dd>`,
      `<dt>Serial</dt><dd>${esc(d.serial ?? 'unknown')}</dd>`,
      `<dt>SMART</dt><dd class="${d.smartPassed === false ? 'bad' : ''}">${esc(smart)}</dd>`,
      `<dt>Temperature</dt><dd>${d.temperatureC === null ? 'unknown' : `${esc(d.temperatureC)} °C`}</dd>`,
      '</dl></div>',
    ].join('');
  });
  return `<div class="bays">${cards.join('')}</div>`;
}

function raid(doc: StatusDocument): string {
  const r = doc.hardware.raid;
  const lines = [`<p class="raid-state ${r.state === 'clean' ? 'good' : 'bad'}">${esc(r.array ?? 'array')} (${esc(r.level ?? '?')}): <strong>${esc(r.state)}</strong>, ${esc(r.devicesInSync ?? '?')} of ${esc(r.devicesTotal ?? '?')} disks in sync</p>`];
  if (r.percent !== null) {
    const left = r.finishSec === null ? '' : `, about ${duration(r.finishSec)} left`;
    lines.push(`<p><progress id="rebuild-progress" max="100" value="${r.percent.toFixed(1)}">${r.percent.toFixed(1)} %</progress> <span id="rebuild-words">${r.percent.toFixed(1)} %${left}</span></p>`);
  }
  return lines.join('');
}

function tickets(doc: StatusDocument): string {
  if (doc.tickets.length === 0) return '<p class="good">No open tickets.</p>';
  const items = doc.tickets.map(
    (t) => `<li class="ticket sev-${esc(t.severity)}"><span class="severity">${esc(t.severity.toUpperCase())}</span> <span class="ticket-id">#${t.id}</span> <code>${esc(t.condition)}</code> <time>${esc(when(t.openedAt))}</time><p>${esc(t.text)}</p></li>`,
  );
  return `<ol class="tickets">${items.join('')}</ol>`;
}

/** A bar of the keys used, with the line at which a new set is due. */
function usageBar(percentUsed: number, line: number): string {
  const used = Math.max(0, Math.min(100, percentUsed));
  return `<svg class="usage" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${used} % used"><rect x="0" y="0" width="100" height="10" class="usage-free"/><rect x="0" y="0" width="${used}" height="10" class="usage-used${used >= line ? ' over' : ''}"/><line x1="${line}" y1="0" x2="${line}" y2="10" class="usage-line"/></svg>`;
}

function keys(doc: StatusDocument): string {
  const k = doc.keys;
  if (!k.available) return warn('The keystore is lent to the console for a restore; key figures are back when it ends.');
  const out: string[] = [];
  if (k.libraries.length === 0) out.push('<p>No key sets yet.</p>');
  else {
    out.push(`<table class="keys"><thead><tr><th>Library</th><th>Used</th><th>Unused</th><th>Pending backup</th><th>Used share (line at ${k.depletionPercent} %)</th></tr></thead><tbody>`);
    for (const l of k.libraries) {
      out.push(`<tr${l.depleted ? ' class="bad"' : ''}><td>${esc(l.library)} <small>${esc(l.class)}</small></td><td>${l.used}</td><td>${l.unused}</td><td>${l.pendingBackup}</td><td>${usageBar(l.percentUsed, k.depletionPercent)} ${l.percentUsed} %</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  out.push(`<p>Last backup: ${esc(when(k.lastBackupAt))}</p>`);
  if (k.setsSinceBackup > 0) out.push(warn(`${k.keysSinceBackup} keys in ${k.setsSinceBackup} set${k.setsSinceBackup === 1 ? '' : 's'} were generated since the last backup and are in no backup: take a backup.`));
  return out.join('');
}

function pair(doc: StatusDocument): string {
  const p = doc.pair;
  if (p.role === 'standalone') return '<p>Standalone: this server has no pair.</p>';
  const out = [`<p>This server is the <strong>${esc(p.role)}</strong>.</p>`];
  if (p.peers.length === 0) out.push(warn('No peer is configured or known yet.'));
  for (const r of p.peers) {
    const lag = r.lagEntries === null ? 'unknown' : `${r.lagEntries} changes behind${r.lagSeconds ? ` (oldest ${duration(r.lagSeconds)})` : ''}`;
    out.push(
      `<div class="peer ${r.reachable ? 'good' : 'bad'}"><h3>Peer ${esc(r.serial ?? '(not paired)')} at ${esc(r.address ?? '(no address)')}</h3><dl>` +
        `<dt>Reachable</dt><dd>${r.reachable ? 'yes' : `NO: ${esc(r.problem)}`}</dd><dt>Last contact</dt><dd>${esc(when(r.lastContact))}</dd>` +
        `<dt>Replication lag</dt><dd>${esc(lag)}</dd><dt>Versions</dt><dd>this ${esc(r.version.self)}, peer ${esc(r.version.peer ?? 'unknown')}</dd></dl></div>`,
    );
  }
  if (p.versionsDiffer) out.push(warn('The two servers run different versions; update both to the same version.'));
  return out.join('');
}

function software(doc: StatusDocument): string {
  const s = doc.software;
  return [
    '<dl>',
    `<dt>Active</dt><dd>qkm ${esc(s.active.version)} (slot ${esc(s.active.slot)})${s.trial ? `, on trial since ${esc(when(s.trial.since))}` : ''}</dd>`,
    `<dt>Previous</dt><dd>${s.previous ? `qkm ${esc(s.previous.version)} (slot ${esc(s.previous.slot)})` : 'none to roll back to'}</dd>`,
    `<dt>Trial</dt><dd>${s.trial ? `yes, ${s.trial.starts} start${s.trial.starts === 1 ? '' : 's'}` : 'none'}</dd>`,
    s.failed ? `<dt>Failed trial</dt><dd class="bad">qkm ${esc(s.failed.version)} at ${esc(when(s.failed.at))}: ${esc(s.failed.reason)}</dd>` : '',
    '</dl>',
  ].join('');
}

function post(doc: StatusDocument): string {
  const p = doc.hardware.post;
  if (!p) return '<p>No POST heard since qkmd started.</p>';
  const meaning = p.verdict === 'passed' ? 'POST passed' : 'POST found a problem (see the tickets)';
  return `<p class="${p.verdict === 'passed' ? 'good' : 'bad'}">Beeps <strong>${esc(p.pattern)}</strong>${p.repeating ? ' (repeating)' : ''} at ${esc(when(new Date(p.at).toISOString()))}: ${meaning}.</p>`;
}

export function statusBody(doc: StatusDocument): string {
  const agent = doc.hardware.agent;
  return [
    `<section id="panel" class="card wide"><h2>Front panel</h2>${frontPanelSvg(doc)}${agent.running ? '' : warn('The hardware agent is not running: the LEDs are not being driven.')}${agent.blind.length ? warn(`The agent cannot read: ${agent.blind.join(', ')}.`) : ''}${bays(doc)}<h3 class="post-heading">Last POST</h3>${post(doc)}</section>`,
    section('tickets', `Open tickets (${doc.tickets.length})`, tickets(doc), ' wide'),
    section('raid', 'RAID', raid(doc)),
    section('pair', 'Pair', pair(doc)),
    section('software', 'Software', software(doc)),
    section('keys', 'Keys', keys(doc), ' wide'),
  ].join('');
}
