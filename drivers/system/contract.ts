/**
 * The system family: the appliance's own settings that the administrator's console
 * changes. Ethernet port 2 (address, netmask, gateway: the port libraries reach), the
 * host name, the time zone, and the date and time. Port 1 is the service port, fixed at
 * PORT1_ADDRESS, and no backend changes it. Values arrive checked (src/admin checks them
 * and says what is wrong); a backend only carries them out.
 * Backends: linux (ip, hostnamectl, timedatectl through the injected command runner; runs
 * only when the configuration lets it run commands) and dry-run (records the commands it
 * would run; the default, and what tests use).
 */

export const PORT1_ADDRESS = '192.168.18.3';
/** Port 2's Linux interface on the appliance. */
export const PORT2_INTERFACE = 'eth1';

export interface Port2Settings {
  address: string;
  /** Dotted, as the administrator types it (255.255.255.0). */
  netmask: string;
  gateway: string;
}

/** One change, as the console stages it and applies it at `q`. */
export type SystemChange =
  | { setting: 'port2'; value: Port2Settings }
  | { setting: 'hostname'; value: string }
  | { setting: 'timeZone'; value: string }
  /** ISO 8601 local date and time of the appliance's time zone: "2026-12-04 14:05:00". */
  | { setting: 'dateTime'; value: string };

export interface SystemBackend {
  readonly kind: string;
  apply(change: SystemChange): Promise<void>;
}

/** The commands that carry out a change on a Linux appliance, in order. */
export function commandsFor(change: SystemChange): [string, string[]][] {
  switch (change.setting) {
    case 'port2': {
      const { address, netmask, gateway } = change.value;
      return [
        ['ip', ['address', 'flush', 'dev', PORT2_INTERFACE]],
        ['ip', ['address', 'add', `${address}/${prefixLength(netmask)}`, 'dev', PORT2_INTERFACE]],
        ['ip', ['route', 'replace', 'default', 'via', gateway, 'dev', PORT2_INTERFACE]],
      ];
    }
    case 'hostname':
      return [['hostnamectl', ['set-hostname', change.value]]];
    case 'timeZone':
      return [['timedatectl', ['set-timezone', change.value]]];
    case 'dateTime':
      return [['timedatectl', ['set-time', change.value]]];
  }
}

/** 255.255.255.0 → 24 (the mask is known to be contiguous). */
export function prefixLength(netmask: string): number {
  return netmask.split('.').reduce((n, octet) => n + [...Number(octet).toString(2)].filter((b) => b === '1').length, 0);
}
