#!/usr/bin/env node
/**
 * A serial line that keeps time: relays bytes between two ports (pty ends), each way on
 * its own, no faster than a real line at BAUD carries them (8N1: ten bit times a byte),
 * each chunk handed on no sooner than its last bit would arrive. A pty moves bytes at memory
 * speed; this is what makes a benchmark's "at 115200 baud" true.
 *
 *   paced-relay.js PORT_A PORT_B BAUD
 *
 * It prints {"ready":true} once both ports are open, and exits when either closes.
 */
import { SerialPort } from 'serialport';

const [a, b, baudText] = process.argv.slice(2);
const baud = Number(baudText);
if (!a || !b || !(baud > 0)) {
  process.stderr.write('usage: paced-relay.js PORT_A PORT_B BAUD\n');
  process.exit(2);
}
const msPerByte = 10_000 / baud;

function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
  return new Promise((resolve, reject) => port.open((e) => (e ? reject(e) : resolve(port))));
}

/**
 * One direction of the line: a chunk goes out when the line is free and is handed on
 * when its last byte would have arrived (a frame is of use only whole, so its first
 * bytes arriving earlier would change nothing a receiver does).
 */
function pace(from: SerialPort, to: SerialPort): void {
  let lineFreeAt = 0;
  from.on('data', (chunk: Buffer) => {
    const now = performance.now();
    lineFreeAt = Math.max(now, lineFreeAt) + chunk.length * msPerByte;
    // Timers fire late, never early; chunks stay in order because each is due no sooner than the last.
    setTimeout(() => to.write(chunk), lineFreeAt - now);
  });
}

const [pa, pb] = await Promise.all([open(a), open(b)]);
pace(pa, pb);
pace(pb, pa);
for (const p of [pa, pb]) p.on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
