import type { KnownBlock } from '@slack/web-api';
import { clockTime, context, header, mention, section } from './format.js';
import { fitMrkdwn, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';
import { dateFormat } from '../domain/time-zone.js';

/** A deploy freeze as the schedule lists it: `until` null is until someone unfreezes it; `by` an ad-hoc one's author. */
export interface ScheduleFreeze {
  reason: string;
  from: Date;
  until: Date | null;
  by?: string;
  appliesTo?: readonly string[];
}

export interface ScheduleFreezes {
  inForce: ScheduleFreeze[];
  coming: ScheduleFreeze[];
  /** The automatic freezes the policy asks for (`freezeWhile`), in words. */
  automatic: string[];
  days: number;
}

export interface ScheduleInput {
  slots: { type: 'minor' | 'major'; at: Date }[];
  plans: { version: string; type: string; plannedAt: Date; state: string }[];
  rules: string[];
  timeZone: string;
  freezes?: ScheduleFreezes;
}

const day = (at: Date, timeZone: string) => dateFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(at);

/** `/release schedule`: the coming slots of the cadence, and the planned releases in them. */
export function scheduleMessage(input: ScheduleInput): SlackMessage {
  const tz = input.timeZone;
  const lines = input.slots.map((slot) => {
    const planned = input.plans.filter((p) => Math.abs(p.plannedAt.getTime() - slot.at.getTime()) < 12 * 3_600_000 && p.type === slot.type);
    return `• ${day(slot.at, tz)} ${clockTime(slot.at, tz)} — *${slot.type}*${planned.length > 0 ? `: ${planned.map((p) => `${p.version}${p.state === 'drafting' ? ' (drafting)' : ''}`).join(', ')}` : ': nothing planned yet'}`;
  });
  const offSlot = input.plans.filter((p) => !input.slots.some((s) => Math.abs(p.plannedAt.getTime() - s.at.getTime()) < 12 * 3_600_000 && p.type === s.type));
  return {
    text: `Release schedule: ${input.slots.length} coming slots, ${input.plans.length} planned releases`,
    blocks: [
      header('Release schedule'),
      section(lines.join('\n') || '_No minor or major slots in the policy._'),
      ...(offSlot.length > 0 ? [section(`*Also planned:*\n${offSlot.map((p) => `• ${day(p.plannedAt, tz)} ${clockTime(p.plannedAt, tz)} — ${p.type} ${p.version}`).join('\n')}`)] : []),
      ...(input.freezes ? [freezesBlock(input.freezes, tz)] : []),
      context(...input.rules.slice(0, 10)),
    ],
  };
}

const TYPES = ['patch', 'minor', 'major'].join();

function freezeLine(f: ScheduleFreeze, tz: string): string {
  // A window that ends on the day it began says only its time.
  const sameDay = f.until && day(f.until, tz) === day(f.from, tz);
  const until = f.until ? `${sameDay ? '' : `${day(f.until, tz)} `}${clockTime(f.until, tz)}` : 'unfrozen';
  const who = f.by ? ` (frozen by ${mention(f.by)})` : '';
  const types = f.appliesTo && f.appliesTo.join() !== TYPES ? ` (${f.appliesTo.join(', ')})` : '';
  return `${slackMrkdwn(f.reason, 300)}${who}${types}, until ${until}`;
}

/** The deploy freezes in force and coming: a release of a type they apply to waits at its readiness gate. */
export function freezesBlock(freezes: ScheduleFreezes, tz: string): KnownBlock {
  const lines = [
    ...freezes.inForce.map((f) => `🧊 *In force:* ${freezeLine(f, tz)}`),
    ...freezes.coming.map((f) => `• ${day(f.from, tz)} ${clockTime(f.from, tz)}: ${freezeLine(f, tz)}`),
    ...freezes.automatic.map((a) => `• Automatic: ${slackMrkdwn(a, 500)}`),
  ];
  const none = `_No deploy freeze in force or in the next ${freezes.days} days._`;
  return section(fitMrkdwn(`*Deploy freezes* (releases wait; a hotfix only when a freeze lists it):\n${lines.join('\n') || none}`, 3000));
}
