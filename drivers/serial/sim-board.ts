#!/usr/bin/env node
/**
 * The simulated front-panel board as a program, for a pseudo-terminal: socat makes the
 * pair, qkmd (or a test) opens one end with serialport's native binding, this opens the
 * other. It speaks PROTOCOL.md through BoardFirmware and takes orders on standard input,
 * one a line, so a test can make it misbehave:
 *
 *   boot                     power up again (LEDs dark, Boot frame)
 *   press BUTTON | release BUTTON      power, reset or cdEject
 *   beep MS:ON,MS:ON,...     speaker edges at these offsets (ms from now), e.g. 0:1,200:0
 *   silent on|off            stop answering (a hung board) or start again
 *   drop-replies N           swallow the next N replies (lost acknowledgements)
 *   corrupt-replies N        send the next N replies with a bad CRC
 *   garbage N                put N bytes of noise on the line
 *   major N                  claim protocol major version N from the next handshake
 *   quit
 *
 * It prints one JSON line per event on standard output: {"ready":...}, {"led":...,"state":...},
 * {"ok":"<order>"} after each order. With --transcript FILE it writes every frame, both
 * directions, in hex (the format firmware-fixtures/serial/README.md describes).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { SystemClock } from '../clock.js';
import { BoardFirmware } from './firmware.js';
import { BUTTONS, type ButtonId } from './messages.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const path = process.argv[2];
if (!path || path.startsWith('--')) {
  process.stderr.write('usage: sim-board.js PATH [--baud N] [--transcript FILE]\n');
  process.exit(2);
}
const baudRate = Number(arg('--baud') ?? 115200);
const transcript = arg('--transcript');
const clock = new SystemClock();
const t0 = Date.now();
if (transcript) writeFileSync(transcript, `# simulated board on a pty at ${baudRate} baud; one frame a line: +ms who hex\n`);
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const port = new SerialPort({ path, baudRate, autoOpen: false });
const fw = new BoardFirmware({
  clock,
  output: (b) => port.write(b),
  onFrame: (who, bytes) => {
    if (transcript) appendFileSync(transcript, `+${Date.now() - t0} ${who} ${bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ')}\n`);
  },
});
let shown = 0;
port.on('data', (chunk: Buffer) => {
  fw.receive(chunk);
  for (; shown < fw.shown.length; shown++) say(fw.shown[shown]!);
});
port.on('error', (e) => say({ error: e.message }));
port.on('close', () => process.exit(0));

function order(line: string): void {
  const [verb, value = ''] = line.trim().split(/\s+/);
  const n = Number(value);
  switch (verb) {
    case 'boot': fw.boot(); break;
    case 'press':
    case 'release':
      if (!BUTTONS.includes(value as ButtonId)) return void say({ error: `no button ${value}` });
      fw.press(value as ButtonId, verb === 'press');
      break;
    case 'beep':
      fw.speaker(value.split(',').map((e) => {
        const [at, on] = e.split(':');
        return { atMs: Number(at), on: on === '1' };
      }));
      break;
    case 'silent': fw.faults.silent = value === 'on'; break;
    case 'drop-replies': fw.faults.dropReplies = n; break;
    case 'corrupt-replies': fw.faults.corruptReplies = n; break;
    case 'major': fw.faults.major = n; break;
    case 'garbage': {
      // Noise without END bytes, so it runs into the next frame's leading END and costs nothing else.
      const noise = randomBytes(n).map((b) => (b === 0xc0 ? 0x3f : b));
      port.write(noise);
      break;
    }
    case 'quit':
      fw.stop();
      port.close();
      return;
    case '': return;
    default: return void say({ error: `no order ${verb}` });
  }
  say({ ok: line.trim() });
}

port.open((err) => {
  if (err) {
    process.stderr.write(`The simulated board cannot open ${path}: ${err.message}\n`);
    process.exit(1);
  }
  createInterface({ input: process.stdin }).on('line', order).on('close', () => {
    fw.stop();
    port.close();
  });
  say({ ready: path, baudRate });
});
