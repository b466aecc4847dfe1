import type { ButtonPress } from '../../drivers/serial/panel-line.js';

/** How long the power button must be held for qkmd to stop: a brush against it is not a shutdown. */
export const POWER_HOLD_MS = 1_000;

export interface ButtonActions {
  /** Opens the CD tray through the CD driver; false when there is no drive or it did not answer. */
  ejectCd(): Promise<boolean>;
  /** A clean stop of qkmd, as SIGTERM makes it. */
  stop(why: string): void;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * The front panel's buttons as the board reports them (the manual: power turns the
 * server off in an orderly way, reset restarts it through POST, CD eject releases the
 * disc). CD eject opens the tray through the CD driver. Power held for a second stops
 * qkmd cleanly (the keystore closed, the libraries' connections ended) before the
 * operating system turns the box off; a shorter press does nothing but say so. Reset is
 * the board's to do (it restarts the server): qkm only records it. Each is an audit line
 * in qkmd's log; none is a fault, so none opens a ticket.
 */
export function actOnButtons(subscribe: (l: (b: ButtonPress) => void) => () => void, a: ButtonActions): () => void {
  let powerDownAt: number | null = null;
  return subscribe((b) => {
    if (b.button === 'power') {
      if (b.pressed) {
        powerDownAt = b.atMs;
        return;
      }
      const heldMs = powerDownAt === null ? 0 : b.atMs - powerDownAt;
      powerDownAt = null;
      if (heldMs >= POWER_HOLD_MS) {
        a.log.warn({ audit: 'power-button', heldMs }, 'power button held: qkmd stops cleanly');
        a.stop('power button');
      } else {
        a.log.info({ audit: 'power-button', heldMs }, `power button pressed for ${heldMs} ms: nothing done (held ${POWER_HOLD_MS / 1000} s, it stops qkmd)`);
      }
      return;
    }
    if (!b.pressed) return;
    if (b.button === 'reset') {
      a.log.warn({ audit: 'reset-button' }, 'reset button pressed: the server restarts and runs POST');
      return;
    }
    a.log.info({ audit: 'cd-eject-button' }, 'CD eject button pressed: opening the tray');
    a.ejectCd().then(
      (opened) => {
        if (!opened) a.log.warn({ audit: 'cd-eject-button' }, 'the CD tray was not opened: this box has no CD drive, or its driver did not answer');
      },
      (e: unknown) => a.log.warn({ err: e }, 'the CD tray could not be opened'),
    );
  });
}
