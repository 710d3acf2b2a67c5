/**
 * Wall clocks of the policy's time zone, from the platform's own tz database (Intl): the offset at an
 * instant, and the instant at which a wall-clock reading happens. Pure.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * One `Intl.DateTimeFormat` per locale and options, made once: making one loads the zone's and the locale's
 * data (about half a millisecond each time), formatting with one is cheap. Every date tminus writes goes through here.
 */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, format);
  }
  return format;
}

/** "2026-10-01": the calendar date of `at` on `zone`'s wall clock. */
export function calendarDate(at: Date, zone: string): string {
  return dateFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** How far `zone`'s wall clock is ahead of UTC at `instant`, in ms. */
export function offsetAt(instant: number, zone: string): number {
  const format = dateFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** A wall-clock reading in `zone` (written as if it were UTC) to the instant; in a DST gap the earlier offset is used. */
export function wallToInstant(wall: number, zone: string): number {
  const first = wall - offsetAt(wall, zone);
  return wall - offsetAt(first, zone);
}

/**
 * "2026-12-24" (the start of that day) or "2026-12-24T17:00" as a wall-clock reading written as if it were UTC
 * (what `wallToInstant` takes); undefined when it is not a real date and time.
 */
export function wallTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]([01]\d|2[0-3]):([0-5]\d))?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Date.UTC rolls 2026-02-30 over to March: a date that moved was not a date.
  return new Date(wall).getUTCDate() === day && new Date(wall).getUTCMonth() === month - 1 ? wall : undefined;
}
