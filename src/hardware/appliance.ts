import { DriverError } from '../../drivers/errors.js';
import { FileRoot } from '../../drivers/file-root.js';
import type { RaidReAdder } from '../../drivers/raid/contract.js';
import type { PanelBoardLine } from '../../drivers/serial/panel-line.js';
import { ExecFileRunner, type CommandRunner } from '../../drivers/runner.js';
import { applianceTools, type ApplianceSettings } from './appliance-settings.js';
import { DRIVER_FAMILIES, FAMILY_NAMES, type DriverFactories, type DriverFactory, type DriverFamily } from './contracts.js';
import { FAMILIES, type BackendContext, type FamilyRegistry } from './families.js';

/** A driver the configuration selects but this machine cannot load. */
export interface UnavailableDriver {
  family: DriverFamily;
  backend: string;
  /** One sentence: which driver, and why (the import's or the factory's own words). */
  line: string;
}

export interface ApplianceDrivers {
  drivers: DriverFactories;
  /** Puts a replaced disk back into the md mirror; null unless writing to disks is allowed. */
  readder: RaidReAdder | null;
  runner: CommandRunner;
  unavailable: UnavailableDriver[];
  /** The front-panel board's line when the LEDs or the speaker use it (its buttons are heard on it too). */
  panel: PanelBoardLine | null;
}

/**
 * The real backends for the appliance profile, each family's as the registry selects it
 * and loaded only now. Every command goes through one ExecFileRunner, enabled only by
 * [hardware] run_commands and limited to the tools this configuration needs; every file
 * is read under [hardware] root. Factories make fresh backends, so the agent's restart of
 * a failing driver really starts it again. A backend that cannot be loaded leaves a
 * factory that throws why, so the agent reports that family blind and the rest works.
 */
export async function applianceDrivers(s: ApplianceSettings, callTimeoutMs: number, families: FamilyRegistry = FAMILIES): Promise<ApplianceDrivers> {
  const runner = new ExecFileRunner({ enabled: s.runCommands, allow: applianceTools(s), defaultTimeoutMs: callTimeoutMs });
  const shared: { panel?: Promise<PanelBoardLine> } = {};
  const ctx: BackendContext = {
    settings: s, runner, root: new FileRoot(s.root), timeoutMs: Math.max(1_000, callTimeoutMs - 500),
    panelBoard: () => (shared.panel ??= openPanelLine(s)),
  };
  const drivers: DriverFactories = {};
  const unavailable: UnavailableDriver[] = [];
  const load = async <F extends DriverFamily>(f: F): Promise<void> => {
    const name = families[f].select(s);
    if (name === null) return;
    let factory: DriverFactory<F>;
    try {
      const loader = families[f].backends[name];
      if (!loader) throw new Error(`no such backend; this build has ${Object.keys(families[f].backends).join(', ') || 'none'}`);
      factory = await loader(ctx);
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      const then = families[f].optional ? `the agent carries on without ${FAMILY_NAMES[f]} devices` : `the agent reports the ${FAMILY_NAMES[f]} family blind until it loads`;
      const line = `The ${FAMILY_NAMES[f]} driver "${name}" is unavailable on this machine (${why}); ${then}.`;
      unavailable.push({ family: f, backend: name, line });
      factory = () => {
        // The line already says why; a cause would only repeat it in every log entry of this driver.
        throw new DriverError('DRIVER_UNAVAILABLE', line, { family: f, backend: name });
      };
    }
    (drivers as Record<F, DriverFactory<F>>)[f] = factory;
  };
  for (const f of DRIVER_FAMILIES) await load(f);
  // A hardware controller rebuilds onto a new disk by itself; only md needs us to add it.
  const readder =
    s.raid === 'md' && s.readdBlankDisks
      ? new (await import('../../drivers/raid/md-readd.js')).MdReAdder({ runner, array: s.mdDevice, bays: s.bays, partition: s.mdPartition })
      : null;
  return { drivers, readder, runner, unavailable, panel: shared.panel ? await shared.panel.catch(() => null) : null };
}

/** serialport's native binding loads only here, when a family uses the board. */
export async function openPanelLine(s: ApplianceSettings): Promise<PanelBoardLine> {
  if (!s.panelBoard) throw new Error('no front-panel board is configured ([serial] panel_port is empty)');
  const [{ SerialPort }, { PanelBoardLine }, { SystemClock }] = await Promise.all([
    import('serialport'), import('../../drivers/serial/panel-line.js'), import('../../drivers/clock.js'),
  ]);
  return new PanelBoardLine({ binding: SerialPort.binding, path: s.panelBoard.path, baudRate: s.panelBoard.baudRate, clock: new SystemClock() });
}
