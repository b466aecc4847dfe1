import { describe, expect, it } from 'vitest';
import { crlf, LineDiscipline } from '../../src/serial-console/line-discipline.js';

function line(): { d: LineDiscipline; echoed: () => string; read: () => string; interrupts: number[] } {
  let echo = '';
  let read = '';
  const interrupts: number[] = [];
  const d = new LineDiscipline({ echo: (t) => (echo += t), onInterrupt: () => interrupts.push(1) > 1 });
  d.setEncoding('utf8');
  d.on('data', (t: string) => (read += t));
  return { d, echoed: () => echo, read: () => read, interrupts };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the serial line discipline (what a tty layer does for a raw line)', () => {
  it('echoes, erases with Backspace and Ctrl-U, ends a line at CR, LF or CR LF, and drops arrow keys', async () => {
    const { d, echoed, read } = line();
    d.typed(Buffer.from('keys statuz\x7fs\r\n'));
    d.typed(Buffer.from('junk\x15tickets\x1b[A\x1bOB\n'));
    d.typed(Buffer.from('h\xc3', 'latin1'));
    d.typed(Buffer.from('\xa9\r', 'latin1'));
    await tick();
    expect(read()).toBe('keys status\ntickets\nhé\n');
    expect(echoed()).toBe('keys statuz\b \bs\r\njunk\b \b\b \b\b \b\b \btickets\r\nhé\r\n');
  });

  it('in raw mode (a password) passes keys on unechoed, still taking CR LF as one end of line', async () => {
    const { d, echoed, read } = line();
    d.setRawMode(true);
    d.typed(Buffer.from('s3cret\r\n'));
    await tick();
    expect(read()).toBe('s3cret\r');
    expect(echoed()).toBe('');
  });

  it('Ctrl-C goes to what runs, or gives an empty line; Ctrl-D on an empty line and a hang-up end the input', async () => {
    const { d, read, interrupts } = line();
    let ended = false;
    d.on('end', () => (ended = true));
    d.typed(Buffer.from('abc\x03'));
    d.typed(Buffer.from('def\x03'));
    d.typed(Buffer.from('x\x04'));
    await tick();
    expect(interrupts).toHaveLength(2);
    expect(read()).toBe('\n'); // the first Ctrl-C was not taken: the line given up
    expect(ended).toBe(false);
    d.typed(Buffer.from('\x7f\x04'));
    await tick();
    expect(ended).toBe(true);
  });

  it('Ctrl-D on an empty line ends the input of a command that takes it, and the login\'s input goes on', async () => {
    let ends = 0;
    let ended = false;
    const d = new LineDiscipline({ echo: () => {}, onEndOfInput: () => ++ends > 0 });
    d.on('end', () => (ended = true));
    d.resume();
    d.typed(Buffer.from('\x04'));
    await tick();
    expect(ends).toBe(1);
    expect(ended).toBe(false);
  });

  it('writes newlines as CR LF', () => {
    expect(crlf('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});
