/**
 * Parsers for what Linux says about an optical drive: udev's properties of the block
 * device and the cdrom driver's /proc/sys/dev/cdrom/info table.
 */

/**
 * `udevadm info --query=property` prints KEY=value lines; `--query=all` prints the same as
 * "E: KEY=value" among other lines. Both are read, so either capture feeds the backend.
 */
export function parseUdevProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.startsWith('E: ') ? raw.slice(3) : raw;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export interface CdromDriveInfo {
  canOpenTray: boolean;
  canCloseTray: boolean;
}

/**
 * The drive's row of /proc/sys/dev/cdrom/info, a table with one tab-separated column per
 * drive ("drive name:\t\tsr0\tsr1", "Can close tray:\t\t1\t0"). Null when the driver lists
 * no drive of that name (the drive is gone, or was never there).
 */
export function parseCdromInfo(text: string, drive: string): CdromDriveInfo | null {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const cells = line.split('\t').filter((c) => c !== '');
    if (cells.length > 1 && cells[0]!.endsWith(':')) rows.set(cells[0]!.slice(0, -1).trim(), cells.slice(1).map((c) => c.trim()));
  }
  const column = rows.get('drive name')?.indexOf(drive) ?? -1;
  if (column < 0) return null;
  const can = (row: string) => rows.get(row)?.[column] === '1';
  return { canOpenTray: can('Can open tray'), canCloseTray: can('Can close tray') };
}
