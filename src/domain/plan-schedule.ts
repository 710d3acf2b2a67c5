import type { Policy } from './policy.js';

export type ChecklistKey = keyof Policy['checklists'];
export const CHECKLIST_KEYS: readonly ChecklistKey[] = ['before72h', 'before24h', 'before4h'];
export type TimelineKey = Policy['planning']['minorTimeline'][number]['key'];

/** Something a planned release has done for it before, and at, its slot. */
export type PlanEvent =
  | { key: 'announcement'; kind: 'announcement'; dueAt: Date }
  | { key: `checklist-${ChecklistKey}`; kind: 'checklist'; checklist: ChecklistKey; dueAt: Date }
  | { key: `timeline-${TimelineKey}`; kind: 'timeline'; step: TimelineKey; label: string; dueAt: Date }
  | { key: 'start'; kind: 'start'; dueAt: Date };

export interface PlanSlot {
  type: string;
  plannedAt: Date;
}

/** A plan's events in the order they fall due (ties keep the listing order: the start comes last). */
export function planEvents(policy: Policy, plan: PlanSlot): PlanEvent[] {
  const at = (beforeMs: number) => new Date(plan.plannedAt.getTime() - beforeMs);
  const events: PlanEvent[] = [{ key: 'announcement', kind: 'announcement', dueAt: at(policy.communication.announceBefore) }];
  for (const checklist of CHECKLIST_KEYS) {
    const spec = policy.checklists[checklist];
    if ((spec.appliesTo as readonly string[]).includes(plan.type)) events.push({ key: `checklist-${checklist}`, kind: 'checklist', checklist, dueAt: at(spec.before) });
  }
  if (plan.type === 'minor') {
    for (const step of policy.planning.minorTimeline) events.push({ key: `timeline-${step.key}`, kind: 'timeline', step: step.key, label: step.label, dueAt: at(step.before) });
  }
  events.push({ key: 'start', kind: 'start', dueAt: plan.plannedAt });
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.dueAt.getTime() - b.e.dueAt.getTime() || a.i - b.i).map(({ e }) => e);
}

export type Due = { event: PlanEvent; late: false } | { event: PlanEvent; late: true; missedBy: number };

/**
 * What is due at `now`: events whose time came. One older than `grace` was missed (every process was down
 * past the catch-up grace) and is reported as such instead of being done late.
 */
export function dueEvents(events: PlanEvent[], now: Date, grace: number): Due[] {
  return events
    .filter((e) => e.dueAt.getTime() <= now.getTime())
    .map((event): Due => {
      const missedBy = now.getTime() - event.dueAt.getTime();
      return missedBy > grace ? { event, late: true, missedBy } : { event, late: false };
    });
}

/** The checklists whose time came by `now`: those the T-0 gate requires. */
export function checklistsDue(events: PlanEvent[], now: Date): ChecklistKey[] {
  return events.flatMap((e) => (e.kind === 'checklist' && e.dueAt.getTime() <= now.getTime() ? [e.checklist] : []));
}
