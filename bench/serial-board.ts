/**
 * The serial front-panel board over a real pty (socat), qkm's driver on serialport's
 * native binding at one end, the simulated board program at the other, each figure next
 * to a baseline measured in the same run:
 *   - LED change → the board's acknowledgement (median, p99), against a bare echo of the
 *     same number of bytes through a pty of the same kind (socat's pty to `cat`);
 *   - exchanges (Set LED + Ack, two frames) per second, one at a time as the driver sends
 *     them, and the wire bytes they use against the pty's raw byte rate (1 MiB through the
 *     echo) and against a 115200-baud line's 11,520 bytes/s (8N1). A pty does not pace
 *     bytes at the baud rate, so the figure that a real 115200 line allows is the bytes
 *     each exchange needs over 11,520 bytes/s, printed as the ceiling;
 *   - the same on a line that keeps time (harness/paced-relay.ts between two pty pairs:
 *     bytes take as long as at 115200 baud, 8N1): LED change → ack against the wire time
 *     of the exchange's bytes, and the frames/s stop-and-wait sustains there against what
 *     the line's raw byte rate could carry.
 *
 *   npx tsc -p . && node dist/bench/serial-board.js      (BENCH_SERIAL_N=5000 for more samples)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { SystemClock } from '../drivers/clock.js';
import type { LedState } from '../drivers/leds/contract.js';
import { FrontPanelBoard } from '../drivers/serial/board.js';
import { writeMessage } from '../drivers/serial/writer.js';
import { pacedPtyPair, ptyPair, startSimBoard } from '../harness/serial-pty.js';
import { median, percentile, report } from './report.js';

const N = Number(process.env.BENCH_SERIAL_N ?? 2000);
const LINE_115200 = 115_200 / 10; // bytes/s: 8 data bits, a start and a stop bit
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

/**
 * A pty whose far end is `cat`: every byte written comes straight back. Given `farEnd`
 * (the board end of a paced line), cat answers there and the echo crosses that line.
 */
async function echoPty(dir: string, farEnd?: { host: string; board: string }) {
  const link = farEnd?.host ?? path.join(dir, 'echo');
  const socat = spawn('socat', [farEnd ? `GOPEN:${farEnd.board},raw,echo=0` : `pty,raw,echo=0,link=${link}`, 'EXEC:cat'], { stdio: 'ignore' });
  for (let i = 0; i < 500 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
  const port = new SerialPort({ path: link, baudRate: 115200 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  let waiting: { need: number; got: number; done: () => void } | null = null;
  port.on('data', (d: Buffer) => {
    if (!waiting) return;
    waiting.got += d.length;
    if (waiting.got >= waiting.need) waiting.done();
  });
  const roundTrip = (bytes: Buffer) =>
    new Promise<void>((resolve) => {
      waiting = { need: bytes.length, got: 0, done: resolve };
      port.write(bytes);
    });
  const close = async () => {
    await new Promise<void>((r) => port.close(() => r()));
    socat.kill('SIGKILL');
  };
  return { roundTrip, close };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-serial-'));
  const pty = await ptyPair(dir);
  const sim = await startSimBoard(pty.board);
  const echo = await echoPty(dir);
  const board = new FrontPanelBoard({ binding: SerialPort.binding, path: pty.host, baudRate: 115200, clock: new SystemClock() });
  try {
    const states: LedState[] = [{ state: 'on' }, { state: 'off' }];
    const setLed = writeMessage({ type: 'setLed', led: 'hddActivity', state: states[0]! }, 1);
    const ack = writeMessage({ type: 'ack', status: 0 }, 1);
    const exchangeBytes = setLed.length + ack.length;
    await board.ping();
    // Warm both paths, then take turns so that a disturbance of the shared machine lands on both alike.
    for (let i = 0; i < 200; i++) {
      await board.setLed('hddActivity', states[i % 2]!);
      await echo.roundTrip(Buffer.alloc(exchangeBytes, 0x55));
    }
    const led: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < N; i++) {
      let t = process.hrtime.bigint();
      await board.setLed('hddActivity', states[i % 2]!);
      led.push(ms(t, process.hrtime.bigint()));
      t = process.hrtime.bigint();
      await echo.roundTrip(Buffer.alloc(exchangeBytes, 0x55));
      bare.push(ms(t, process.hrtime.bigint()));
    }
    report('LED change → board ack, median', median(led), 'ms', { name: `pty echo of ${exchangeBytes} bytes`, value: median(bare) });
    report('LED change → board ack, p99', percentile(led, 99), 'ms', { name: `pty echo of ${exchangeBytes} bytes`, value: percentile(bare, 99) });

    const seconds = 3;
    let exchanges = 0;
    const t0 = process.hrtime.bigint();
    while (ms(t0, process.hrtime.bigint()) < seconds * 1000) {
      await board.setLed('hddActivity', states[exchanges % 2]!);
      exchanges++;
    }
    const perSecond = exchanges / (ms(t0, process.hrtime.bigint()) / 1000);
    const blob = Buffer.alloc(1 << 20, 0x55);
    const tb = process.hrtime.bigint();
    await echo.roundTrip(blob);
    const rawBytesPerSecond = blob.length / (ms(tb, process.hrtime.bigint()) / 1000);
    report('frames/s (Set LED + Ack, one at a time)', 2 * perSecond, 'frames/s', { name: 'what 115200 baud carries', value: (2 * LINE_115200) / exchangeBytes });
    report('wire bytes/s of those exchanges', perSecond * exchangeBytes, 'B/s', { name: '115200 baud 8N1', value: LINE_115200 });
    // Above 1x, the driver outruns a real 115200 line: there, the line is the limit, not qkm.
    console.log(
      `(${exchangeBytes} bytes on the wire per exchange; the pty itself moved ${(rawBytesPerSecond / 1e6).toFixed(1)} MB/s raw, unpaced; ` +
        `${board.counters.retransmissions} resends; ${N} latency samples)`,
    );
    await atLineSpeed(dir, exchangeBytes);
  } finally {
    await board.close();
    await echo.close();
    await sim.stop();
    await pty.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The board on a pty pair paced to 115200 baud: what the protocol gets from a real line of that speed. */
async function atLineSpeed(dir: string, exchangeBytes: number): Promise<void> {
  const line = await pacedPtyPair(dir, 115_200);
  const echoLine = await pacedPtyPair(dir, 115_200, 'paced-echo');
  const sim = await startSimBoard(line.board);
  const echo = await echoPty(dir, echoLine);
  const board = new FrontPanelBoard({ binding: SerialPort.binding, path: line.host, baudRate: 115200, clock: new SystemClock() });
  // The same bytes on the wire as an exchange: half out, the same half back.
  const echoBytes = Buffer.alloc(Math.ceil(exchangeBytes / 2), 0x55);
  try {
    const states: LedState[] = [{ state: 'on' }, { state: 'off' }];
    await board.ping();
    for (let i = 0; i < 50; i++) {
      await board.setLed('hddActivity', states[i % 2]!);
      await echo.roundTrip(echoBytes);
    }
    const led: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < Math.ceil(N / 4); i++) {
      let t = process.hrtime.bigint();
      await board.setLed('hddActivity', states[i % 2]!);
      led.push(ms(t, process.hrtime.bigint()));
      t = process.hrtime.bigint();
      await echo.roundTrip(echoBytes);
      bare.push(ms(t, process.hrtime.bigint()));
    }
    const wireMs = (exchangeBytes * 1000) / LINE_115200;
    const baseline = `echo of ${echoBytes.length} bytes on the same line`;
    report('at 115200 baud: LED change → ack, median', median(led), 'ms', { name: baseline, value: median(bare) });
    report('at 115200 baud: LED change → ack, p99', percentile(led, 99), 'ms', { name: baseline, value: percentile(bare, 99) });
    console.log(`(the wire time of an exchange's ${exchangeBytes} bytes at 115200 baud: ${wireMs.toFixed(2)} ms)`);
    let exchanges = 0;
    const t0 = process.hrtime.bigint();
    while (ms(t0, process.hrtime.bigint()) < 3_000) {
      await board.setLed('hddActivity', states[exchanges % 2]!);
      exchanges++;
    }
    const perSecond = exchanges / (ms(t0, process.hrtime.bigint()) / 1000);
    report('at 115200 baud: frames/s (stop and wait)', 2 * perSecond, 'frames/s', { name: 'the raw byte rate carrying them back to back', value: (2 * LINE_115200) / exchangeBytes });
    console.log(`(at 115200 baud: ${board.counters.retransmissions} resends; the line busy ${((100 * perSecond * exchangeBytes) / LINE_115200).toFixed(0)} % of the time)`);
  } finally {
    await board.close();
    await echo.close();
    await sim.stop();
    await line.kill();
    await echoLine.kill();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
