/**
 * Every figure is printed next to a baseline measured in the same run, because these
 * machines are shared and noisy: the ratio means something when the absolute does not.
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function report(name: string, value: number, unit: string, baseline: { name: string; value: number }, target?: string): void {
  const ratio = baseline.value === 0 ? Infinity : value / baseline.value;
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  console.log(
    `${name.padEnd(44)} ${fmt(value).padStart(9)} ${unit.padEnd(8)} | ${ratio.toFixed(2)}x ${baseline.name} (${fmt(baseline.value)} ${unit})${target ? ` | target ${target}` : ''}`,
  );
}
