/**
 * The guide's release cadence ("Release Types & Cadence") as a calendar: when minor and major releases
 * go out, and whether a release may start now. Pure: every function takes the instant it reasons about.
 *
 * Times of day are wall-clock times in the policy's `timezone`, so a 14:00 slot stays 14:00 local
 * across daylight-saving changes (its UTC instant moves by the hour instead). A wall-clock time that a
 * change skips (02:30 on a spring-forward night) is moved on by the gap (03:30); one that happens twice
 * (02:30 on a fall-back night) is the earlier of the two — the same rule as Temporal's `compatible`.
 */
import { WEEKDAYS, type Cadence, type Policy } from './policy.js';
import { offsetAt } from './time-zone.js';
import type { ReleaseType } from './version.js';

export interface Slot {
  type: 'minor' | 'major';
  /** The instant the slot opens. */
  at: Date;
}

export type CadenceCheck = { ok: true } | { ok: false; rule: string; nextAllowed: Date };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * A biweekly cadence without an `anchor` counts its fortnights from Monday 2024-01-08 (ISO week
 * 2024-W02): the on-weeks are an even number of weeks after it. Those are the even ISO weeks from 2021-W01
 * to 2026-W53; after a 53-week year the fixed 14-day rhythm is kept (ISO parity would put two odd weeks
 * in a row). Set `anchor` to one release day to pick the other weeks.
 */
const DEFAULT_EPOCH_MONDAY = Date.UTC(2024, 0, 8) / DAY;

/**
 * The next `count` slots of `type`'s cadence at or after `from`, in order. Only `biweekly` and
 * `quarterly` cadences have slots; any other kind gives none.
 *
 * - `biweekly`: every second `weekday` at `time` (the weeks counted from `anchor`, else DEFAULT_EPOCH_MONDAY).
 * - `quarterly`: the first `weekday` of each listed month at `time` (the guide's "Friday mornings").
 */
export function nextSlots(policy: Policy, type: 'minor' | 'major', from: Date, count: number): Slot[] {
  const slots: Slot[] = [];
  if (count <= 0) return slots;
  for (const at of slotsFrom(policy.releaseTypes[type].cadence, policy.timezone, from.getTime())) {
    slots.push({ type, at: new Date(at) });
    if (slots.length >= count) break;
  }
  return slots;
}

/** Whether `at` is within `tolerance` ms (either side, inclusive) of one of `type`'s slots. */
export function isOnSlot(policy: Policy, type: 'minor' | 'major', at: Date, tolerance: number): boolean {
  const [slot] = nextSlots(policy, type, new Date(at.getTime() - tolerance), 1);
  return slot !== undefined && slot.at.getTime() <= at.getTime() + tolerance;
}

/**
 * Whether a release of `type` may start at `now`, given the start times of earlier releases of that type.
 * It follows the type's cadence kind:
 * - `biweekly` / `quarterly`: only within `tolerance` of a slot (earlier releases do not matter, so a
 *   release retried in the same slot is allowed); refused until the next slot's window opens.
 * - `asNeeded`: at most `maxPerWeek` releases (counting `earlier` ones) in the ISO week of `now`, Monday
 *   00:00 to the next Monday 00:00 in the zone; refused until that next Monday.
 * - `onDemand`: always.
 */
export function checkCadence(policy: Policy, type: ReleaseType, now: Date, earlier: readonly Date[], tolerance: number): CadenceCheck {
  const cadence = policy.releaseTypes[type].cadence;
  const zone = policy.timezone;
  switch (cadence.kind) {
    case 'onDemand':
      return { ok: true };
    case 'asNeeded': {
      const monday = localDay(now.getTime(), zone) - weekdayIndex(localDay(now.getTime(), zone));
      const weekStart = wallToInstant(monday, 0, zone);
      const weekEnd = wallToInstant(monday + WEEK, 0, zone);
      const thisWeek = earlier.filter((date) => date.getTime() >= weekStart && date.getTime() < weekEnd).length;
      if (thisWeek < cadence.maxPerWeek) return { ok: true };
      const plural = cadence.maxPerWeek === 1 ? 'release' : 'releases';
      return { ok: false, rule: `At most ${cadence.maxPerWeek} ${type} ${plural} a week`, nextAllowed: new Date(weekEnd) };
    }
    case 'biweekly':
    case 'quarterly': {
      const slots = slotsFrom(cadence, zone, now.getTime() - tolerance);
      const next = slots.next();
      if (next.done) throw new Error('unreachable: a slotted cadence has no end');
      if (next.value <= now.getTime() + tolerance) return { ok: true };
      return { ok: false, rule: ruleOf(type, cadence, zone), nextAllowed: new Date(next.value - tolerance) };
    }
  }
}

/** The cadence in the guide's words: "Minor releases go out every second Thursday at 14:00 UTC". */
function ruleOf(type: ReleaseType, cadence: Cadence & { kind: 'biweekly' | 'quarterly' }, zone: string): string {
  const releases = `${capitalize(type)} releases go out`;
  const day = capitalize(cadence.weekday);
  if (cadence.kind === 'biweekly') return `${releases} every second ${day} at ${cadence.time} ${zone}`;
  const months = [...cadence.months].sort((a, b) => a - b).map((month) => MONTHS[month - 1]).join(', ');
  return `${releases} quarterly (${months}) on a ${day} at ${cadence.time} ${zone}`;
}

/** The slot instants (ms) of a cadence at or after `from`, in order; none for unslotted kinds. */
function* slotsFrom(cadence: Cadence, zone: string, from: number): Generator<number, void> {
  if (cadence.kind === 'biweekly') {
    const first = cadence.anchor === undefined ? DEFAULT_EPOCH_MONDAY + WEEKDAYS.indexOf(cadence.weekday) : isoDay(cadence.anchor);
    const minutes = minutesOf(cadence.time);
    // A fortnight before `from`'s local day, so no offset can make the first slot at or after `from` missed.
    let index = Math.ceil((localDay(from, zone) - 2 * WEEK - first) / (2 * WEEK));
    for (;;) {
      const at = wallToInstant(first + index * 2 * WEEK, minutes, zone);
      if (at >= from) yield at;
      index += 1;
    }
  }
  if (cadence.kind === 'quarterly') {
    const months = new Set(cadence.months);
    const target = WEEKDAYS.indexOf(cadence.weekday);
    const minutes = minutesOf(cadence.time);
    const start = new Date(localDay(from, zone) * DAY);
    // From the month before `from`'s local month, for the same reason.
    let year = start.getUTCFullYear();
    let month = start.getUTCMonth() - 1; // 0-based, may be -1
    for (;;) {
      const first = Date.UTC(year, month, 1) / DAY;
      const calendarMonth = new Date(first * DAY).getUTCMonth() + 1;
      if (months.has(calendarMonth)) {
        const at = wallToInstant(first + ((target - weekdayIndex(first) + WEEK) % WEEK), minutes, zone);
        if (at >= from) yield at;
      }
      month += 1;
      if (month > 11) {
        month -= 12;
        year += 1;
      }
    }
  }
}

// Days are counted from 1970-01-01 (day 0, a Thursday) on the proleptic Gregorian calendar.

function isoDay(isoDate: string): number {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day) / DAY;
}

/** Monday 0 … Sunday 6, as in WEEKDAYS. */
function weekdayIndex(day: number): number {
  return (((day + 3) % WEEK) + WEEK) % WEEK;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The local calendar day of an instant in `zone`. */
function localDay(instant: number, zone: string): number {
  return Math.floor((instant + offsetAt(instant, zone)) / DAY);
}

/** The instant at which the wall clock in `zone` reads `minutes` past midnight of `day`. */
function wallToInstant(day: number, minutes: number, zone: string): number {
  const wall = day * DAY + minutes * MINUTE;
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const candidates = [wall - before, wall - after].filter((instant) => instant + offsetAt(instant, zone) === wall);
  // In a gap no instant reads `wall`; the offset from before the change moves it on by the gap.
  return candidates.length > 0 ? Math.min(...candidates) : wall - before;
}


