import { clockTime, context, header, section } from './format.js';
import type { SlackMessage } from './types.js';
import { dateFormat } from '../domain/time-zone.js';

export interface ScheduleInput {
  slots: { type: 'minor' | 'major'; at: Date }[];
  plans: { version: string; type: string; plannedAt: Date; state: string }[];
  rules: string[];
  timeZone: string;
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
      context(...input.rules.slice(0, 10)),
    ],
  };
}
