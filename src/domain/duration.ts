import { z } from 'zod';

const UNIT_MS = {
  w: 7 * 24 * 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  h: 60 * 60 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
} as const;
type Unit = keyof typeof UNIT_MS;

// Largest unit first: the order both parsing and formatting expect.
const UNITS = Object.keys(UNIT_MS) as Unit[];

// `ms` is tried before `m` so that `500ms` is not read as 500 minutes and a stray `s`.
const PART = /\s*(\d+)\s*(ms|w|d|h|m|s)/y;

function durationProblem(value: unknown): string {
  return `${JSON.stringify(value) ?? String(value)} is not a duration like 15m, 90s, 24h`;
}

/** Reads `500ms`, `90s`, `15m`, `24h`, `3d`, `2w` and compounds like `1h30m` or `1h 30m` into milliseconds. */
export function parseDuration(text: string): number {
  const source = text.trim();
  if (source === '0') return 0;
  let total = 0;
  let index = 0;
  let previousUnit = -1;
  while (index < source.length) {
    PART.lastIndex = index;
    const match = PART.exec(source);
    if (!match) throw new Error(durationProblem(text));
    const unitIndex = UNITS.indexOf(match[2] as Unit);
    // Each unit once, largest first, so `30m1h` and `1h1h` are typos rather than sums.
    if (unitIndex <= previousUnit) throw new Error(durationProblem(text));
    previousUnit = unitIndex;
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
    index = PART.lastIndex;
  }
  if (source.length === 0 || !Number.isSafeInteger(total)) throw new Error(durationProblem(text));
  return total;
}

const SHOWN_UNITS = UNITS.filter((unit) => unit !== 'ms');

/**
 * The one way tminus writes a duration a person reads: the two largest units, the smaller one rounded, no
 * milliseconds (`6564390` → `1h 49m`, `725000` → `12m 5s`, `40000` → `40s`, `0` → `0s`). A round value comes out
 * as a policy writes it (`15m`, `1h 30m`) and round-trips through parseDuration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`${ms} is not a number of milliseconds`);
  const sign = ms < 0 ? '-' : '';
  const size = Math.abs(ms);
  if (size === 0) return '0s';
  // Under a second still took some time: "1s", never "0s" or milliseconds.
  const found = SHOWN_UNITS.findIndex((unit) => size >= UNIT_MS[unit]);
  const largest = found === -1 ? SHOWN_UNITS.length - 1 : found;
  const step = UNIT_MS[SHOWN_UNITS[Math.min(largest + 1, SHOWN_UNITS.length - 1)]!];
  let rest = Math.max(step, Math.round(size / step) * step);
  const parts: string[] = [];
  for (const unit of SHOWN_UNITS) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0 && parts.length < 2) {
      parts.push(`${count}${unit}`);
      rest -= count * UNIT_MS[unit];
    }
  }
  return sign + parts.join(' ');
}

/** A duration as written in a policy file (`15m`) or a number of milliseconds; outputs milliseconds. */
export const durationSchema = z
  .union([z.string(), z.number()], { error: (issue) => durationProblem(issue.input) })
  .transform((value, ctx): number => {
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value) && value >= 0) return value;
      ctx.issues.push({ code: 'custom', message: `${value} is not a whole, non-negative number of milliseconds`, input: value });
      return z.NEVER;
    }
    try {
      return parseDuration(value);
    } catch {
      ctx.issues.push({ code: 'custom', message: durationProblem(value), input: value });
      return z.NEVER;
    }
  });
