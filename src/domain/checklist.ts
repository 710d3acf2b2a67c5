import type { Checklist, RoleName } from './policy.js';

/** What tminus can check for itself, and so tick with evidence. */
export type AutoCheck = 'ciGreen' | 'releaseBranch' | 'noTag' | 'noDeployInFlight' | 'noAlertingMonitor';

/** The guide's items tminus can answer, matched by their text (the policy may reword or drop them). */
const AUTO_CHECKS: { pattern: RegExp; checks: AutoCheck[] }[] = [
  { pattern: /no failing tests in main/i, checks: ['ciGreen'] },
  { pattern: /last build verification/i, checks: ['ciGreen'] },
  { pattern: /release branch created/i, checks: ['releaseBranch', 'noTag'] },
  { pattern: /zero in-flight deployments/i, checks: ['noDeployInFlight'] },
  { pattern: /monitoring dashboards open/i, checks: ['noAlertingMonitor'] },
];

export interface ChecklistItem {
  /** Stable within a policy: `<section>.<item>` indexes. */
  id: string;
  section: number;
  text: string;
  auto: AutoCheck[];
  /** Who may tick it, when the item names its own roles (else `permissions.checklist`). */
  roles?: RoleName[];
}

export function checklistItems(checklist: Checklist, version: string): ChecklistItem[] {
  return checklist.sections.flatMap((section, s) =>
    section.items.map((item, i) => {
      const raw = typeof item === 'string' ? item : item.text;
      const text = raw.replace('v[version]', version).replace('[version]', version.replace(/^v/, ''));
      const roles = typeof item === 'string' ? {} : { roles: [...item.roles] };
      return { id: `${s}.${i}`, section: s, text, auto: AUTO_CHECKS.find((a) => a.pattern.test(raw))?.checks ?? [], ...roles };
    }),
  );
}

export interface Tick {
  checklist: string;
  item: string;
  tickedBy: string;
  evidence: string | null;
  at: Date;
}

/** Items not ticked yet, for the T-0 gate. */
export function missingItems(items: ChecklistItem[], ticks: Tick[], checklist: string): ChecklistItem[] {
  const done = new Set(ticks.filter((t) => t.checklist === checklist).map((t) => t.item));
  return items.filter((i) => !done.has(i.id));
}

/** `▓▓▓▓░░░░ 5/12`: the share of items ticked, on `width` cells. */
export function progressBar(done: number, total: number, width = 12): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}`;
}
