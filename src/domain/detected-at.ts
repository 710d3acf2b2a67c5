/**
 * "When was the issue detected": `HH:MM` (today, on the team's wall clock) or an ISO time. The guide's
 * hotfix timeline counts from detection, so a time in the future, or more than a day ago, is refused.
 */
import { offsetAt, wallToInstant } from './time-zone.js';

export type DetectedAt = { ok: true; at: Date } | { ok: false; reason: string };

const DAY = 24 * 60 * 60_000;
/** Clocks differ a little: "now" on the person's watch may be a minute ahead of ours. */
const FUTURE_TOLERANCE = 60_000;

export function parseDetectedAt(text: string, now: Date, timeZone: string): DetectedAt {
  const value = text.trim();
  const clock = /^(\d{1,2}):(\d{2})$/.exec(value);
  let at: number;
  if (clock) {
    const hours = Number(clock[1]);
    const minutes = Number(clock[2]);
    if (hours > 23 || minutes > 59) return { ok: false, reason: `"${value}" is not a time of day like 14:05` };
    at = wallClockToday(now, hours, minutes, timeZone);
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) {
    // An ISO time without an offset is read on the team's clock, not the machine's.
    at = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? Date.parse(value) : wallToInstant(Date.parse(`${value}Z`), timeZone);
  } else {
    return { ok: false, reason: `"${value}" is not a detection time: give HH:MM (today, ${timeZone}) or an ISO time like 2026-11-20T14:05Z` };
  }
  if (at > now.getTime() + FUTURE_TOLERANCE) return { ok: false, reason: `the detection time ${value} (${timeZone}) is in the future` };
  if (now.getTime() - at > DAY) return { ok: false, reason: `the detection time ${value} is more than 24 hours ago: a hotfix's timeline counts from a detection within the last day` };
  return { ok: true, at: new Date(Math.min(at, now.getTime())) };
}

/** The instant at which `zone`'s wall clock reads hours:minutes on today's date there. */
function wallClockToday(now: Date, hours: number, minutes: number, zone: string): number {
  const today = new Date(now.getTime() + offsetAt(now.getTime(), zone));
  const wall = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), hours, minutes);
  return wallToInstant(wall, zone);
}
