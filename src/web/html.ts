/** Text made safe to put in HTML or SVG, between tags or inside a quoted attribute. */
export function esc(text: string | number | null | undefined): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "12 s", "34 min", "2 h 5 min": a duration as a person reads it. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** An ISO time as "2026-12-04 13:05:09 UTC" (the appliance's logs are in UTC too). */
export function when(isoTime: string | null): string {
  return isoTime === null ? 'never' : `${isoTime.slice(0, 19).replace('T', ' ')} UTC`;
}
