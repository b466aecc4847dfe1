import type { DiskBackend, DiskInfo } from '../disks/contract.js';
import { DriverError } from '../errors.js';
import type { RaidBackend, RaidMember, RaidStatus } from '../raid/contract.js';
import { type CommandResult, type CommandRunner, commandLine } from '../runner.js';

/**
 * The simulated appliance answering the storage tools' command lines as a real box with
 * the same state would print them (/proc/mdstat, `mdadm --detail [--export]`,
 * `smartctl -x -j`), so that a log capture of the simulator has the layout and formats
 * of a capture of the appliance, and the real parsers read it back to the same state.
 */

/** The whole disk of a bay, as the simulator names it (its md member is partition 1). */
export const simDiskDevice = (bay: number): string => `/dev/sd${String.fromCharCode(97 + bay)}`;

const MEMBER_KIB = 976_762_584;
const SDX_MAJOR = 8;

export class SimToolRunner implements CommandRunner {
  constructor(private readonly raid: RaidBackend, private readonly disks: DiskBackend) {}

  async run(cmd: string, args: readonly string[]): Promise<CommandResult> {
    const line = commandLine(cmd, args);
    const status = await this.raid.status();
    const md = `/dev/${status.array}`;
    if (line === `mdadm --detail ${md}`) return answer(renderMdadmDetail(status));
    if (line === `mdadm --detail --export ${md}`) return answer(renderMdadmExport(status));
    const smart = /^smartctl -x -j (\/dev\/sd[a-z])$/.exec(line);
    const bay = smart ? this.disks.bays().find((b) => simDiskDevice(b) === smart[1]) : undefined;
    if (bay !== undefined) {
      const info = await this.disks.read(bay);
      return answer(renderSmartctl(info, smart![1]!), smartExitStatus(info));
    }
    throw new DriverError('RUNNER_DISABLED', `The simulator does not answer "${line}".`, { command: line });
  }

  /** /proc/mdstat as the kernel would show the simulated array. */
  async mdstat(): Promise<string> {
    return renderMdstat(await this.raid.status());
  }
}

function answer(stdout: string, code = 0): CommandResult {
  return { stdout, stderr: '', code };
}

const number = (m: RaidMember, i: number) => (m.slot ?? i);
/** md lists the members newest first; the simulator's are by bay, its descriptor the bay. */
const listed = (s: RaidStatus) => s.members.filter((m) => m.state !== 'missing');

export function renderMdstat(s: RaidStatus): string {
  const flag = (m: RaidMember) => (m.state === 'faulty' ? '(F)' : m.state === 'spare' ? '(S)' : '');
  const devices = listed(s).map((m, i) => `${m.device}[${m.state === 'rebuilding' || m.state === 'spare' ? s.members.length + i : number(m, i)}]${flag(m)}`).reverse();
  const slots = s.members.map((m) => (m.state === 'active' ? 'U' : '_')).join('');
  const lines = [
    'Personalities : [raid1] ',
    `${s.array} : ${s.state === 'failed' && s.devicesInSync === 0 ? 'inactive' : 'active raid1'} ${devices.join(' ')}`,
    `      ${MEMBER_KIB} blocks super 1.0 [${s.devicesTotal}/${s.devicesInSync}] [${slots}]`,
  ];
  if (s.percent !== null) {
    const done = Math.floor((MEMBER_KIB * s.percent) / 100);
    const bar = `[${'='.repeat(Math.floor(s.percent / 5))}>${'.'.repeat(19 - Math.floor(s.percent / 5))}]`;
    lines.push(`      ${bar}  recovery = ${s.percent.toFixed(1).padStart(4)}% (${done}/${MEMBER_KIB}) finish=${((s.finishSec ?? 0) / 60).toFixed(1)}min speed=${s.speedKiBps ?? 0}K/sec`);
  }
  lines.push('      ', 'unused devices: <none>', '');
  return lines.join('\n');
}

export function renderMdadmDetail(s: RaidStatus): string {
  const working = listed(s).filter((m) => m.state !== 'faulty');
  const states = ['clean', ...(s.devicesInSync < s.devicesTotal ? ['degraded'] : []), ...(s.state === 'recovering' ? ['recovering'] : []), ...(s.state === 'failed' ? ['FAILED'] : [])];
  const row = (n: string, minor: number, role: string, state: string, dev: string) =>
    `${n.padStart(8)}${String(dev ? SDX_MAJOR : 0).padStart(8)}${String(minor).padStart(9)}${role.padStart(9)}      ${state}${dev ? `   /dev/${dev}` : ''}`;
  const table = s.members.map((m, bay) => {
    const minor = bay * 16 + 1;
    if (m.state === 'missing' || m.state === 'faulty') return row('-', 0, String(bay), 'removed', '');
    if (m.state === 'rebuilding') return row(String(s.members.length + bay), minor, String(bay), 'spare rebuilding', m.device);
    if (m.state === 'spare') return row(String(s.members.length + bay), minor, '-', 'spare', m.device);
    return row(String(bay), minor, String(bay), 'active sync', m.device);
  });
  const faulty = s.members.flatMap((m, bay) => (m.state === 'faulty' ? [row(String(bay), bay * 16 + 1, '-', 'faulty', m.device)] : []));
  return [
    `/dev/${s.array}:`,
    '           Version : 1.0',
    '        Raid Level : raid1',
    `        Array Size : ${MEMBER_KIB} (931.51 GiB 1000.20 GB)`,
    `      Raid Devices : ${s.devicesTotal}`,
    `     Total Devices : ${listed(s).length}`,
    `             State : ${states.join(', ')} `,
    `    Active Devices : ${s.devicesInSync}`,
    `   Working Devices : ${working.length}`,
    `    Failed Devices : ${listed(s).length - working.length}`,
    `     Spare Devices : ${working.length - s.devicesInSync}`,
    '',
    ...(s.percent !== null ? [`    Rebuild Status : ${Math.floor(s.percent)}% complete`, ''] : []),
    '    Number   Major   Minor   RaidDevice State',
    ...table,
    ...(faulty.length > 0 ? ['', ...faulty] : []),
    '',
  ].join('\n');
}

export function renderMdadmExport(s: RaidStatus): string {
  const role = (m: RaidMember) => (m.state === 'faulty' ? 'faulty' : m.state === 'spare' || m.state === 'rebuilding' ? (m.slot === null ? 'spare' : String(m.slot)) : String(m.slot));
  return [
    'MD_LEVEL=raid1',
    `MD_DEVICES=${s.devicesTotal}`,
    'MD_METADATA=1.0',
    'MD_UUID=51a1b0e5:00c0ffee:0badf00d:5eed5eed',
    'MD_NAME=qkm:0',
    ...listed(s).flatMap((m) => [`MD_DEVICE_${m.device}_ROLE=${role(m)}`, `MD_DEVICE_${m.device}_DEV=/dev/${m.device}`]),
    '',
  ].join('\n');
}

/** smartctl's exit status bits: 2 the device could not be opened, 8 the disk is failing. */
function smartExitStatus(d: DiskInfo): number {
  if (!d.present) return 2;
  return d.smartPassed === false ? 8 : 0;
}

export function renderSmartctl(d: DiskInfo, device: string): string {
  const smartctl = { version: [7, 3], argv: ['smartctl', '-x', '-j', device], exit_status: smartExitStatus(d) };
  if (!d.present) {
    return `${JSON.stringify({ json_format_version: [1, 0], smartctl: { ...smartctl, messages: [{ string: `Smartctl open device: ${device} failed: No such device`, severity: 'error' }] } }, null, 2)}\n`;
  }
  const ata = d.protocol === 'ATA';
  return `${JSON.stringify({
    json_format_version: [1, 0],
    smartctl,
    device: { name: device, info_name: device, type: ata ? 'sat' : 'scsi', protocol: ata ? 'ATA' : 'SCSI' },
    ...(ata ? { model_name: d.model } : { scsi_model_name: d.model }),
    serial_number: d.serial,
    smart_status: { passed: d.smartPassed !== false },
    temperature: { current: d.temperatureC },
    power_on_time: { hours: d.powerOnHours },
    ...(ata
      ? { ata_smart_attributes: { revision: 16, table: [{ id: 5, name: 'Reallocated_Sector_Ct', raw: { value: d.reallocatedSectors ?? 0, string: String(d.reallocatedSectors ?? 0) } }] } }
      : { scsi_grown_defect_list: d.grownDefects ?? 0 }),
  }, null, 2)}\n`;
}
