import path from 'node:path';
import { SystemClock } from '../../drivers/clock.js';
import type { QkmConfig } from '../config/config.js';
import type { Logger } from '../logs/logger.js';
import { Agent } from '../agent/agent.js';
import type { TicketStore } from '../agent/reconcile.js';
import { ReplacementWatcher } from '../agent/replacement.js';
import { agentSettings, simSettings } from '../agent/settings.js';
import { applianceDrivers } from './appliance.js';
import { applianceSettings } from './appliance-settings.js';
import { DRIVER_FAMILIES, type DriverFactories, type DriverFamily } from './contracts.js';
import { FAMILIES, type FamilyRegistry } from './families.js';
import { SimAppliance } from './sim-appliance.js';
import { postDescriber } from './beep-codes.js';
import { FileRoot } from '../../drivers/file-root.js';
import { SimToolRunner, simDiskDevice } from '../../drivers/sim/tool-output.js';
import { type ToolCapture, captureToolOutputs } from './tool-capture.js';

/** What qkmd hosts for the hardware: the agent and, on the sim profile, the simulated appliance. */
export interface HardwareHost {
  profile: QkmConfig['hardware']['profile'];
  /** Null only for a profile with no drivers (none today; hwStatus still copes). */
  agent: Agent | null;
  sim: SimAppliance | null;
  /** The storage tools' outputs now, for a log capture (the simulator answers them on the sim profile). */
  captureTools(): Promise<ToolCapture>;
  stop(): Promise<void>;
}

/** Where the simulated appliance keeps its disks' state between runs. */
export function simWorldFile(dataDir: string): string {
  return path.join(dataDir, 'sim-world.json');
}

/**
 * Builds the drivers for the configured profile from the registry of device families and
 * starts the agent on them. This is the one place the agent meets a concrete backend; the
 * agent itself sees contracts only. `families` is the registry (tests give their own).
 */
export async function startHardware(config: QkmConfig, tickets: TicketStore, log: Logger, families: FamilyRegistry = FAMILIES): Promise<HardwareHost> {
  return config.hardware.profile === 'sim' ? startSim(config, tickets, log, families) : startAppliance(config, tickets, log, families);
}

/** The simulated appliance's device of each family, as factories (the simulator outlives a driver restart). */
function simDrivers(sim: SimAppliance, families: FamilyRegistry): DriverFactories {
  const drivers: DriverFactories = {};
  const add = <F extends DriverFamily>(f: F): void => {
    const device = families[f].sim(sim);
    if (device) (drivers as Record<F, () => typeof device>)[f] = () => device;
  };
  for (const f of DRIVER_FAMILIES) add(f);
  return drivers;
}

function newAgent(config: QkmConfig, drivers: DriverFactories, tickets: TicketStore, clock: SystemClock, log: Logger): Agent {
  const a = agentSettings(config);
  return new Agent({
    drivers,
    tickets,
    clock,
    pollMs: a.pollMs,
    callTimeoutMs: a.callTimeoutMs,
    backoff: { maxMs: a.retryMaxMs },
    tempMaxC: a.diskTempMaxC,
    subscribeEvents: a.raidEvents,
    log: log.child({ component: 'agent' }),
    describePost: postDescriber(log),
  });
}

async function startSim(config: QkmConfig, tickets: TicketStore, log: Logger, families: FamilyRegistry): Promise<HardwareHost> {
  const clock = new SystemClock();
  const sim = new SimAppliance({ clock, ...simSettings(config), stateFile: simWorldFile(config.paths.data_dir) });
  const agent = newAgent(config, simDrivers(sim, families), tickets, clock, log);
  await agent.start();
  log.info({ profile: 'sim' }, 'hardware agent started');
  const tools = new SimToolRunner(sim.raid, sim.disks);
  return {
    profile: 'sim',
    agent,
    sim,
    captureTools: () => captureToolOutputs({ runner: tools, mdstat: () => tools.mdstat(), raid: 'md', mdDevice: '/dev/md0', disks: sim.disks.bays().map(simDiskDevice) }),
    stop: async () => {
      await agent.stop();
      await sim.close();
    },
  };
}

/**
 * The real box. RAID is polled, not fed by `mdadm --monitor`: without --mail/--program
 * mdadm printf()s its events without flushing, so through a pipe they wait in a 4 KiB
 * buffer until enough pile up; and every event it reports (Fail, RebuildStarted, RebuildNN,
 * RebuildFinished, FailSpare) is a change of /proc/mdstat that MdRaid.poll() turns into
 * the same events at the next poll ([agent] poll_seconds, 10 s), which the manual's
 * seconds-scale LED sequence tolerates. The distribution's own mdmonitor keeps mailing.
 */
async function startAppliance(config: QkmConfig, tickets: TicketStore, log: Logger, families: FamilyRegistry): Promise<HardwareHost> {
  const s = applianceSettings(config);
  const hwLog = log.child({ component: 'hardware' });
  const { drivers, readder, runner, unavailable } = await applianceDrivers(s, agentSettings(config).callTimeoutMs, families);
  for (const u of unavailable) hwLog.warn({ driver: u.family, backend: u.backend }, u.line);
  const clock = new SystemClock();
  const agent = newAgent(config, drivers, tickets, clock, log);
  const watcher = new ReplacementWatcher(
    { readder, tickets, array: s.mdDevice, bays: s.bays, partition: s.mdPartition, log: hwLog },
    () => agent.kick(),
  );
  const unwatch = s.raid === 'md' ? agent.onPass((r) => watcher.onPass(r)) : () => {};
  const described = {
    profile: 'appliance', root: s.root, raid: s.raid, array: s.raid === 'md' ? s.mdDevice : `/c${s.storcli.controller}`, bays: s.bays,
    sysfsLeds: s.sysfsLeds, ledctlLeds: s.ledctlLeds, runCommands: s.runCommands, readdBlankDisks: s.readdBlankDisks, raidFeed: 'poll',
  };
  if (!s.runCommands) {
    hwLog.warn(described, 'hardware commands are switched off ([hardware] run_commands = false): mdadm, smartctl and ledctl will not run, so the agent will report itself blind');
  }
  if (s.raid === 'md' && !s.readdBlankDisks) {
    hwLog.info({ bays: s.bays }, 'qkmd writes to no disk: a replaced disk is added to the mirror by a person ([hardware] readd_blank_disks = false), and a ticket says how');
  }
  await agent.start();
  hwLog.info(described, 'hardware agent started');
  return {
    profile: 'appliance',
    agent,
    sim: null,
    captureTools: () => captureToolOutputs({
      runner, mdstat: () => new FileRoot(s.root).read('/proc/mdstat'), raid: s.raid, mdDevice: s.mdDevice,
      disks: Object.values(s.bays), storcli: { command: s.storcli.command, controller: s.storcli.controller },
    }),
    stop: async () => {
      unwatch();
      await agent.stop();
      await watcher.stop();
    },
  };
}
