/** What `mdadm --detail --export /dev/mdX` says about an array and its members' roles. */
export interface MdadmDetail {
  level: string | null;
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
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
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
    devices: num('MD_DEVICES'),
    uuid: kv.get('MD_UUID') ?? null,
    name: kv.get('MD_NAME') ?? null,
    roles,
  };
}
