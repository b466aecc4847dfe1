/**
 * The disk behind a member or partition name: "sda1" -> "sda", "nvme0n1p2" ->
 * "nvme0n1", "/dev/sdb" -> "sdb". Bays are configured by disk, members are
 * partitions, so this is how a member finds its bay.
 */
export function diskOf(device: string): string {
  const name = device.replace(/^\/dev\//, '');
  const p = /^((?:nvme\d+n\d+)|(?:mmcblk\d+))p\d+$/.exec(name);
  if (p) return p[1]!;
  const d = /^([a-z]+)\d+$/.exec(name);
  return d ? d[1]! : name;
}

/** Bay number -> disk ("sda" or "/dev/sda"), as configuration gives it. */
export type BayDisks = Readonly<Record<number, string>>;

export function bayOf(bays: BayDisks, device: string): number | null {
  const disk = diskOf(device);
  for (const [bay, d] of Object.entries(bays)) {
    if (diskOf(d) === disk) return Number(bay);
  }
  return null;
}

/** The partition device of `disk` numbered `n`: sdb + 1 -> sdb1, nvme0n1 + 1 -> nvme0n1p1. */
export function partitionOf(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}
