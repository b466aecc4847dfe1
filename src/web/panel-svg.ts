/**
 * The appliance's front panel as SVG, laid out as the box is: the two disk bays on the
 * left (each with its green activity and amber status LED), the CD drive, and the
 * power, HDD activity, server error and CD activity LEDs on the right. Each LED carries
 * its state in data attributes; the page's style sheet blinks and flickers it, and its
 * script sets each blinking LED's period from `data-period` (the manual's rates, as the
 * agent chose them).
 */
import type { LedState } from '../../drivers/leds/contract.js';
import type { StatusDocument } from '../status/document.js';
import { esc } from './html.js';

type Colour = 'green' | 'amber';

/** Blinks slower than this are a short flash per period (the idle bay's once every 16 s); faster ones are half on, half off. */
const FLASH_ABOVE_MS = 2000;

function describe(s: LedState): string {
  if (s.state === 'blink') return `blinking every ${s.periodMs >= 1000 ? `${s.periodMs / 1000} s` : `${s.periodMs} ms`}`;
  if (s.state === 'flicker') return 'flickering (looks solid)';
  return s.state;
}

function led(id: string, name: string, s: LedState, colour: Colour, cx: number, cy: number): string {
  const blink = s.state === 'blink' ? ` ${s.periodMs > FLASH_ABOVE_MS ? 'blink-flash' : 'blink-even'}` : '';
  const period = s.state === 'blink' ? ` data-period="${s.periodMs}"` : '';
  return `<circle class="led ${colour} ${s.state}${blink}" data-led="${esc(id)}" data-state="${s.state}"${period} cx="${cx}" cy="${cy}" r="7"><title>${esc(name)}: ${esc(describe(s))}</title></circle>`;
}

const label = (x: number, y: number, text: string, anchor = 'start') => `<text x="${x}" y="${y}" text-anchor="${anchor}" class="panel-label">${esc(text)}</text>`;

/** Where things sit: the box as it is (a laptop), or folded in two rows for a phone's width. */
interface Layout {
  name: 'wide' | 'narrow';
  viewBox: string;
  chassis: { x: number; y: number; w: number; h: number };
  bays: { x: number; y: number; w: number }[];
  cd: { x: number; y: number; w: number };
  /** power, HDD activity, server error: their row starts here, `gap` apart. */
  system: { x: number; y: number; gap: number };
}

const LAYOUTS: Layout[] = [
  { name: 'wide', viewBox: '0 0 1000 170', chassis: { x: 4, y: 20, w: 992, h: 130 }, bays: [{ x: 30, y: 50, w: 250 }, { x: 300, y: 50, w: 250 }], cd: { x: 580, y: 60, w: 200 }, system: { x: 830, y: 70, gap: 55 } },
  { name: 'narrow', viewBox: '0 0 420 250', chassis: { x: 2, y: 8, w: 416, h: 236 }, bays: [{ x: 14, y: 36, w: 190 }, { x: 216, y: 36, w: 190 }], cd: { x: 14, y: 160, w: 170 }, system: { x: 260, y: 170, gap: 55 } },
];

function bay(doc: StatusDocument, index: number, at: { x: number; y: number; w: number }): string {
  const leds = doc.hardware.leds.bays.find((b) => b.bay === index);
  const disk = doc.hardware.disks.find((d) => d.bay === index);
  const off: LedState = { state: 'off' };
  const { x, y, w } = at;
  const grilleCount = Math.floor((w - 80) / 18);
  const grille = Array.from({ length: grilleCount }, (_, i) => `<line x1="${x + 14 + i * 18}" y1="${y + 12}" x2="${x + 14 + i * 18}" y2="${y + 68}" class="grille"/>`).join('');
  const present = disk?.present === true;
  return [
    `<g class="bay" data-bay="${index}">`,
    `<rect x="${x}" y="${y}" width="${w}" height="80" rx="4" class="${present ? 'bay-disk' : 'bay-empty'}"/>`,
    present ? grille : label(x + (w - 70) / 2, y + 46, 'empty bay', 'middle'),
    led(`bay${index}.activity`, `Bay ${index} activity`, leds?.activity ?? off, 'green', x + w - 52, y + 24),
    led(`bay${index}.status`, `Bay ${index} status`, leds?.status ?? off, 'amber', x + w - 20, y + 24),
    label(x + 8, y - 7, `BAY ${index}`),
    label(x + w - 52, y + 52, 'act', 'middle'),
    label(x + w - 20, y + 52, 'stat', 'middle'),
    '</g>',
  ].join('');
}

function panel(doc: StatusDocument, g: Layout): string {
  const l = doc.hardware.leds;
  const cd = doc.hardware.cd;
  const { x, y, gap } = g.system;
  return [
    `<svg class="front-panel ${g.name}" viewBox="${g.viewBox}" role="img" aria-label="The appliance's front panel">`,
    `<rect x="${g.chassis.x}" y="${g.chassis.y}" width="${g.chassis.w}" height="${g.chassis.h}" rx="8" class="chassis"/>`,
    bay(doc, 0, g.bays[0]!),
    bay(doc, 1, g.bays[1]!),
    `<rect x="${g.cd.x}" y="${g.cd.y}" width="${g.cd.w}" height="22" rx="3" class="cd-slot${cd.present ? '' : ' absent'}"/>`,
    label(g.cd.x, g.cd.y - 8, cd.present ? (cd.media ? `CD: ${cd.media.label ?? 'disc'}` : cd.trayOpen ? 'CD: tray open' : 'CD: no disc') : 'no CD drive'),
    led('cdActivity', 'CD activity', l.cdActivity, 'green', g.cd.x + g.cd.w - 20, g.cd.y + 50),
    label(g.cd.x + g.cd.w - 20, g.cd.y + 74, 'CD', 'middle'),
    led('power', 'Power', l.power, 'green', x, y),
    label(x, y + 24, 'power', 'middle'),
    led('hddActivity', 'HDD activity', l.hddActivity, 'green', x + gap, y),
    label(x + gap, y + 24, 'HDD', 'middle'),
    led('serverError', 'Server error', l.serverError, 'amber', x + 2 * gap, y),
    label(x + 2 * gap, y + 24, 'error !', 'middle'),
    '</svg>',
  ].join('');
}

/** Both layouts; the style sheet shows the one that fits the screen. */
export function frontPanelSvg(doc: StatusDocument): string {
  return LAYOUTS.map((g) => panel(doc, g)).join('');
}
