import { DriverError } from '../errors.js';

/** What `mdadm --detail --export /dev/mdX` says about an array and its members' roles. */
export interface MdadmDetail {
  level: string | null;
  /** MD_METADATA: "1.2", "0.90", "imsm", "ddf"; null when not said. */
  metadata: string | null;
  /** MD_DEVNAME: the array's name under /dev/md/, when it has one. */
  devname: string | null;
  devices: number | null;
  uuid: string | null;
  name: string | null;
  /** Member device path -> role: a slot number, or "spare"/"faulty"/"journal". */
  roles: Map<string, number | string>;
}

/**
 * Parses KEY=VALUE lines. Member keys are MD_DEVICE_<id>_ROLE and MD_DEVICE_<id>_DEV;
 * the <id> differs between mdadm versions ("dev_sda1", "ev_sda1", "sda1"), so a
 * role is matched to its device through the shared <id>, never by decoding it.
 */
export function parseMdadmDetailExport(text: string): MdadmDetail {
  const kv = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(MD_[A-Za-z0-9_.:-]+)=(.*)$/.exec(line);
    if (m) kv.set(m[1]!, m[2]!.trim());
  }
  if (!kv.has('MD_LEVEL') && !kv.has('MD_UUID')) {
    throw new DriverError('PARSE_FAILED', 'The text is not the output of mdadm --detail --export (it has no MD_LEVEL or MD_UUID line).', { head: text.slice(0, 200) });
  }
  const roles = new Map<string, number | string>();
  for (const [k, v] of kv) {
    const m = /^MD_DEVICE_(.+)_ROLE$/.exec(k);
    if (!m) continue;
    const dev = kv.get(`MD_DEVICE_${m[1]}_DEV`) ?? m[1]!;
    roles.set(dev, /^\d+$/.test(v) ? Number(v) : v);
  }
  const num = (k: string) => (kv.has(k) ? Number(kv.get(k)) : null);
  return {
    level: kv.get('MD_LEVEL') ?? null,
    metadata: kv.get('MD_METADATA') ?? null,
    devname: kv.get('MD_DEVNAME') ?? null,
    devices: num('MD_DEVICES'),
    uuid: kv.get('MD_UUID') ?? null,
    name: kv.get('MD_NAME') ?? null,
    roles,
  };
}
