import { describe, expect, it } from 'vitest';
import type { ButtonPress } from '../../drivers/serial/panel-line.js';
import { actOnButtons } from '../../src/hardware/buttons.js';

function panel(ejects: boolean | Error = true) {
  let listener: ((b: ButtonPress) => void) | null = null;
  const lines: string[] = [];
  const stops: string[] = [];
  let ejected = 0;
  const unsubscribe = actOnButtons((l) => {
    listener = l;
    return () => (listener = null);
  }, {
    ejectCd: async () => {
      ejected++;
      if (ejects instanceof Error) throw ejects;
      return ejects;
    },
    stop: (why) => stops.push(why),
    log: { info: (_o, msg) => lines.push(msg), warn: (_o, msg) => lines.push(msg) },
  });
  const press = (button: ButtonPress['button'], pressed: boolean, atMs: number) => listener?.({ button, pressed, atMs });
  return { press, lines, stops, ejected: () => ejected, unsubscribe, listening: () => listener !== null };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('the front panel\'s buttons', () => {
  it('power: held a second (by the board\'s clock) stops qkmd once; a tap, or a release with no press heard, only says so', () => {
    const p = panel();
    p.press('power', true, 5_000);
    p.press('power', false, 5_400);
    p.press('power', false, 9_000);
    expect(p.stops).toEqual([]);
    expect(p.lines).toEqual([
      'power button pressed for 400 ms: nothing done (held 1 s, it stops qkmd)',
      'power button pressed for 0 ms: nothing done (held 1 s, it stops qkmd)',
    ]);
    p.press('power', true, 10_000);
    p.press('power', false, 11_000);
    expect(p.stops).toEqual(['power button']);
    expect(p.lines.at(-1)).toBe('power button held: qkmd stops cleanly');
  });

  it('CD eject opens the tray on the press, not the release; a box with no drive, or a drive that fails, is said', async () => {
    const p = panel(false);
    p.press('cdEject', true, 1);
    p.press('cdEject', false, 90);
    await settle();
    expect(p.ejected()).toBe(1);
    expect(p.lines).toEqual([
      'CD eject button pressed: opening the tray',
      'the CD tray was not opened: this box has no CD drive, or its driver did not answer',
    ]);
    const q = panel(new Error('eject failed'));
    q.press('cdEject', true, 1);
    await settle();
    expect(q.lines.at(-1)).toBe('the CD tray could not be opened');
  });

  it('reset is recorded and nothing else; unsubscribing stops listening', () => {
    const p = panel();
    p.press('reset', true, 1);
    p.press('reset', false, 2);
    expect(p.lines).toEqual(['reset button pressed: the server restarts and runs POST']);
    expect(p.stops).toEqual([]);
    p.unsubscribe();
    expect(p.listening()).toBe(false);
  });
});
