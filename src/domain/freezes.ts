/**
 * The guide's deploy freezes as a calendar: the policy's one-off dates and weekly windows (on the team's wall
 * clock, so a Friday 16:00 window stays 16:00 local across daylight-saving changes) and the ad-hoc freezes
 * people declare. Pure: every function takes the instant it reasons about. A hotfix is the emergency lane:
 * only a policy freeze that lists it in `appliesTo` holds one.
 */
import { WEEKDAYS, type PolicyFreeze } from './policy.js';
import { offsetAt, wallTime, wallToInstant } from './time-zone.js';
import type { ReleaseType } from './version.js';

const DAY = 24 * 3_600_000;

/** One stretch of frozen time: from (inclusive) until (exclusive). */
export interface FreezeWindow {
  reason: string;
  from: Date;
  until: Date;
  appliesTo: readonly ReleaseType[];
}

/** A freeze someone declared with `/release freeze`: until unfrozen when `until` is null. */
export interface AdHocFreeze {
  reason: string;
  by: string;
  from: Date;
  until: Date | null;
}

/** A freeze in force now, and until when: null means until someone unfreezes it. */
export interface FreezeInForce {
  reason: string;
  until: Date | null;
  /** Who declared it (ad-hoc freezes). */
  by?: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The windows of a weekly freeze that start on the wall-clock days from `firstDay` to `lastDay` (wall ms at midnight). */
function weeklyWindows(freeze: PolicyFreeze, firstDay: number, lastDay: number, zone: string): FreezeWindow[] {
  const weekly = freeze.weekly!;
  const from = minutesOf(weekly.from) * 60_000;
  // A window whose until is earlier than its from crosses midnight: it ends on the next day.
  const until = minutesOf(weekly.until) * 60_000 + (weekly.until < weekly.from ? DAY : 0);
  const windows: FreezeWindow[] = [];
  for (let day = firstDay; day <= lastDay; day += DAY) {
    if (!(weekly.days as readonly string[]).includes(WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7]!)) continue;
    const window = { from: new Date(wallToInstant(day + from, zone)), until: new Date(wallToInstant(day + until, zone)) };
    windows.push({ reason: freeze.reason, ...window, appliesTo: freeze.appliesTo });
  }
  return windows;
}

/** The wall-clock midnight (written as if UTC) of the day `at` falls on in `zone`. */
function wallDay(at: number, zone: string): number {
  const wall = at + offsetAt(at, zone);
  return Math.floor(wall / DAY) * DAY;
}

/** Every window of the policy's freezes that overlaps [from, until), in order of start. */
export function freezeWindows(freezes: readonly PolicyFreeze[], from: Date, until: Date, zone: string): FreezeWindow[] {
  // A window that crosses midnight began the day before `from`.
  const firstDay = wallDay(from.getTime(), zone) - DAY;
  const lastDay = wallDay(until.getTime(), zone);
  const windows = freezes.flatMap((freeze): FreezeWindow[] => {
    if (freeze.weekly) return weeklyWindows(freeze, firstDay, lastDay, zone);
    const start = wallToInstant(wallTime(freeze.from!)!, zone);
    const end = wallToInstant(wallTime(freeze.until!)!, zone);
    return [{ reason: freeze.reason, from: new Date(start), until: new Date(end), appliesTo: freeze.appliesTo }];
  });
  return windows.filter((w) => w.from < until && w.until > from).sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The freezes that hold a release of `type` at `at`: the policy's windows it falls in, and the ad-hoc freezes not ended. */
export function freezesInForce(input: {
  policy: readonly PolicyFreeze[];
  adHoc: readonly AdHocFreeze[];
  type: ReleaseType;
  at: Date;
  zone: string;
}): FreezeInForce[] {
  const { at, type } = input;
  const windows = freezeWindows(input.policy, at, new Date(at.getTime() + 1), input.zone).filter((w) => w.appliesTo.includes(type));
  // Ad-hoc freezes hold every release but a hotfix: the emergency lane stays open.
  const adHoc = type === 'hotfix' ? [] : input.adHoc.filter((f) => f.from <= at && (f.until === null || f.until > at));
  return [...windows.map((w) => ({ reason: w.reason, until: w.until })), ...adHoc.map((f) => ({ reason: f.reason, until: f.until, by: f.by }))];
}

/** The policy's freeze windows of the coming `days` days from `at` (the one in force included), for the schedule. */
export function comingFreezes(freezes: readonly PolicyFreeze[], at: Date, days: number, zone: string): FreezeWindow[] {
  return freezeWindows(freezes, at, new Date(at.getTime() + days * DAY), zone);
}
