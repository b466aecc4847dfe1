import { stripVTControlCharacters } from 'node:util';
import type { LedState } from '../../drivers/leds/contract.js';
import type { Diagnosis } from '../admin/diagnose.js';
import type { HwStatus } from '../status/hardware.js';
import { terminalTicketText } from './words.js';

/**
 * The front panel drawn in a terminal: what a field engineer would see standing in
 * front of the box, plus the RAID state and the open tickets. Plain text when piped;
 * with `color`, lit LEDs show in their own colour (green or amber) and dark ones dim.
 */
export interface PanelOptions {
  color: boolean;
  width?: number;
  /** What the tickets are called: "Open tickets" on a live box, "Tickets it would open" for a capture. */
  ticketsHeading?: string;
}

type Colour = 'green' | 'amber';
const SGR = { green: '\x1b[32;1m', amber: '\x1b[33;1m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31;1m', reset: '\x1b[0m' };

function period(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** "(*) on", "(~) blink 16 s", "(#) flicker", "( ) off". */
function lamp(s: LedState, colour: Colour, o: PanelOptions): string {
  const glyph = s.state === 'on' ? '(*)' : s.state === 'blink' ? '(~)' : s.state === 'flicker' ? '(#)' : '( )';
  const words = s.state === 'blink' ? `blink ${period(s.periodMs)}` : s.state;
  const text = `${glyph} ${colour.padEnd(5)} ${words}`;
  if (!o.color) return text;
  return s.state === 'off' ? `${SGR.dim}${text}${SGR.reset}` : `${SGR[colour]}${text}${SGR.reset}`;
}

const CONDITION_WORDS: Record<string, string> = {
  'in-sync': 'in mirror', rebuilding: 'rebuilding', new: 'new disk', spare: 'spare', faulty: 'FAULTY',
  'rebuild-failed': 'FAULTY (rebuild failed)', empty: 'empty', unknown: 'unknown',
};

function bar(percent: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** What is in the CD drive, after its LED: "   disc QKMTEST (1.2 MB), reading". */
function cdWords(cd: HwStatus['cd'] | undefined): string {
  if (!cd) return '';
  if (!cd.present) return '   no CD drive';
  if (cd.media) {
    const size = cd.media.sizeBytes === null ? '' : ` (${(cd.media.sizeBytes / 1e6).toFixed(1)} MB)`;
    return `   disc ${cd.media.label ?? '(no label)'}${size}${cd.busy ? ', reading' : ''}`;
  }
  return cd.trayOpen ? '   tray open' : '   no disc';
}

/** The USB ports: one line per device plugged in, saying what the box makes of it. */
function usbLines(usb: HwStatus['usb'] | undefined, width: number): string[] {
  const head = '  USB            ';
  if (!usb) return [`${head}unknown (this qkmd does not report USB devices)`];
  if (usb.unavailable !== null) return wrap(`cannot be listed on this machine: ${usb.unavailable}`, width, ' '.repeat(head.length)).map((l, i) => (i === 0 ? head + l.trimStart() : l));
  if (usb.devices.length === 0) return [`${head}nothing plugged in`];
  return usb.devices.map((d, i) => `${i === 0 ? head : ' '.repeat(head.length)}${d.line}${d.cd ? `; ${cdWords(d.cd).trimStart()}` : ''}`);
}

export function renderPanel(s: HwStatus, o: PanelOptions): string {
  const width = o.width ?? 100;
  const b = (t: string) => (o.color ? `${SGR.bold}${t}${SGR.reset}` : t);
  const out: string[] = [];
  out.push(b(`qkm front panel (${s.agent.profile} hardware${s.agent.running ? '' : ', agent not running'})`));
  out.push('');
  out.push(`  POWER          ${lamp(s.leds.power, 'green', o)}`);
  out.push(`  HDD ACTIVITY   ${lamp(s.leds.hddActivity, 'green', o)}`);
  out.push(`  SERVER ERROR   ${lamp(s.leds.serverError, 'amber', o)}`);
  out.push(`  CD ACTIVITY    ${lamp(s.leds.cdActivity, 'green', o)}${cdWords(s.cd)}`);
  out.push('');
  for (const bay of s.leds.bays) {
    const disk = s.disks.find((d) => d.bay === bay.bay);
    const what = disk?.present ? `${disk.serial ?? '?'} ${CONDITION_WORDS[disk.condition ?? 'unknown'] ?? ''}` : 'empty';
    const act = lamp(bay.activity, 'green', o);
    const pad = ' '.repeat(Math.max(1, 28 - stripVTControlCharacters(act).length));
    out.push(`  BAY ${bay.bay}  ${what.padEnd(26)} activity ${act}${pad}status ${lamp(bay.status, 'amber', o)}`);
  }
  out.push('');
  const r = s.raid;
  let raidLine = `  RAID ${r.array ?? '?'} (${r.level ?? '?'}): ${r.state}, ${r.devicesInSync ?? '?'} of ${r.devicesTotal ?? '?'} disks in sync`;
  if (r.percent !== null) {
    raidLine += `  ${bar(r.percent, 30)} ${r.percent.toFixed(1)} %`;
    if (r.finishSec !== null) raidLine += r.finishSec < 120 ? `, about ${r.finishSec} s left` : `, about ${Math.round(r.finishSec / 60)} min left`;
  }
  out.push(r.state === 'clean' || !o.color ? raidLine : `${SGR.amber}${raidLine}${SGR.reset}`);
  out.push('');
  out.push(...usbLines(s.usb, width));
  out.push('');
  const open = s.tickets.filter((t) => t.open);
  const heading = o.ticketsHeading ?? 'Open tickets';
  out.push(b(open.length ? `${heading} (${open.length}):` : o.ticketsHeading ? `${heading}: none.` : 'No open tickets.'));
  for (const t of open) {
    const head = `  #${t.id} ${t.severity.toUpperCase()} [${t.condition}]`;
    out.push(o.color && (t.severity === 'error' || t.severity === 'critical') ? `${SGR.red}${head}${SGR.reset}` : head);
    out.push(...wrap(terminalTicketText(t), width, '      '));
  }
  return `${out.join('\n')}\n`;
}

/** What only a diagnosis says, below its panel: every array of the capture, and the files it could not use. */
export function diagnosisLines(d: Diagnosis): string {
  const out = ['', `Bays and array as ${d.settingsFrom} sets them.`, '', `Arrays in ${d.capture}:`];
  for (const a of d.arrays) {
    const members = a.members.map((m) => `${m.device || '(empty slot)'} ${m.state}`).join(', ');
    out.push(`  ${a.array} (${a.level}): ${a.state}${a.percent === null ? '' : ` ${a.percent} %`}, ${a.devicesInSync} of ${a.devicesTotal} in sync: ${members}`);
  }
  if (d.arrays.length === 0) out.push('  none');
  if (d.unreadable.length) {
    out.push('', 'Could not use:');
    for (const u of d.unreadable) out.push(`  ${u.file}: ${u.reason}`);
  }
  return `${out.join('\n')}\n`;
}
