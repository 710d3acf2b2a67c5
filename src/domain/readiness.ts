/**
 * The readiness gate before T-0: what must hold before a release is tagged, each line with its evidence.
 * Judged from facts the jobs gathered (CI on the commit, the checklists' ticks, the cadence, deploy freezes,
 * how production is guarded); it decides nothing by itself and reads nothing. A line that does not hold says what
 * would make it hold: the release waits, and goes on by itself when every line holds. Texts from people and
 * from GitHub (names, reasons, who) arrive already made safe for where the card is shown (the jobs do it).
 */

// `change`: a hotfix's commit carries something beyond what production runs (src/domain/hotfix-source.ts).
export const READINESS_KEYS = ['change', 'ci', 'checklists', 'cadence', 'freeze', 'production'] as const;
export type ReadinessKey = (typeof READINESS_KEYS)[number];
/** Lines a person may waive with a reason (`/release waive`): CI is fixed, not waived; production is configured. */
export const WAIVABLE: readonly ReadinessKey[] = ['checklists', 'cadence', 'freeze'];

export interface ReadinessLine {
  key: ReadinessKey;
  /** `holds`: passed; `waiting`: not yet, and may hold by itself; `failing`: will not hold without someone acting. */
  state: 'holds' | 'waiting' | 'failing';
  text: string;
  /** A page that shows the evidence (the failing check's run). */
  link?: string;
}

export interface Readiness {
  ready: boolean;
  lines: ReadinessLine[];
}

export function readiness(lines: ReadinessLine[]): Readiness {
  return { ready: lines.every((l) => l.state === 'holds'), lines };
}

/** One check run or status context on the commit. */
export interface CommitCheck {
  name: string;
  state: 'success' | 'failure' | 'pending';
  url?: string;
}

export interface CiFacts {
  sha: string;
  branch: string;
  /** Undefined: GitHub could not be asked. */
  checks?: CommitCheck[];
  /** The policy's `readiness.requiredChecks`: empty means every check that reported must pass, and one must. */
  required: readonly string[];
  /** A hotfix a person marked tested (no CI, or CI that cannot see it): their word stands in for CI. */
  testedBy?: string;
}

/** CI green on the exact commit that will be tagged: no check at all is not green. */
export function ciLine(facts: CiFacts): ReadinessLine {
  const at = `\`${facts.branch}\` @ \`${facts.sha.slice(0, 7)}\``;
  if (facts.testedBy) return { key: 'ci', state: 'holds', text: `Tested: marked tested by ${facts.testedBy} (${at})` };
  if (!facts.checks) return { key: 'ci', state: 'waiting', text: `CI on ${at}: GitHub could not be asked; looking again` };
  const checks = facts.checks;
  const failing = checks.filter((c) => c.state === 'failure' && (facts.required.length === 0 || facts.required.includes(c.name)));
  if (failing.length > 0) {
    const names = failing.map((c) => (c.url ? `<${c.url}|${c.name}>` : c.name)).join(', ');
    return { key: 'ci', state: 'failing', text: `CI red on ${at}: ${names} failed. Fix it on the branch: the release takes the new head once its CI is green`, ...(failing[0]!.url ? { link: failing[0]!.url } : {}) };
  }
  if (facts.required.length > 0) {
    const missing = facts.required.filter((name) => !checks.some((c) => c.name === name));
    const pending = facts.required.filter((name) => checks.some((c) => c.name === name && c.state === 'pending'));
    if (missing.length > 0 || pending.length > 0) {
      const parts = [...(pending.length > 0 ? [`${pending.join(', ')} running`] : []), ...(missing.length > 0 ? [`${missing.join(', ')} not reported`] : [])];
      return { key: 'ci', state: 'waiting', text: `CI on ${at}: required ${parts.join('; ')}` };
    }
    return { key: 'ci', state: 'holds', text: `CI green on ${at}: required ${facts.required.join(', ')} passed` };
  }
  if (checks.length === 0) return { key: 'ci', state: 'waiting', text: `CI on ${at}: no check has reported, and no check at all is not green` };
  const pending = checks.filter((c) => c.state === 'pending');
  if (pending.length > 0) return { key: 'ci', state: 'waiting', text: `CI on ${at}: ${pending.map((c) => c.name).join(', ')} running` };
  return { key: 'ci', state: 'holds', text: `CI green on ${at}: ${checks.length} check${checks.length === 1 ? '' : 's'} passed` };
}

export interface Waiver {
  /** Who waived, as shown (a mention). */
  by: string;
  reason: string;
}

export interface ChecklistFacts {
  /** Titles of the checklists due for the release's type; none: the type has no checklists. */
  due: string[];
  /** Items not ticked yet, with their checklist's title. */
  missing: { checklist: string; text: string }[];
  /** Ticked before T-0 on the release's plan. */
  planned?: boolean;
  waived?: Waiver;
  /** `readiness.checklists: advisory`: shown, holding nothing. */
  advisory?: boolean;
}

export function checklistsLine(facts: ChecklistFacts): ReadinessLine {
  if (facts.due.length === 0) return { key: 'checklists', state: 'holds', text: 'Checklists: none for this release type' };
  if (facts.waived) return { key: 'checklists', state: 'holds', text: `Checklists waived by ${facts.waived.by}: ${facts.waived.reason}` };
  if (facts.missing.length === 0) return { key: 'checklists', state: 'holds', text: `Checklists ticked: ${facts.due.join(', ')}${facts.planned ? ' (before T-0)' : ''}` };
  if (facts.advisory) return { key: 'checklists', state: 'holds', text: `Checklists: ${facts.missing.length} item${facts.missing.length === 1 ? '' : 's'} not ticked, advisory only (\`readiness.checklists: advisory\`)` };
  const first = facts.missing.slice(0, 3).map((m) => `"${m.text}"`).join(', ');
  const more = facts.missing.length > 3 ? ` and ${facts.missing.length - 3} more` : '';
  return {
    key: 'checklists',
    state: 'waiting',
    text: `Checklists: ${facts.missing.length} item${facts.missing.length === 1 ? '' : 's'} not ticked (${first}${more}); tick them in this thread, or an approver waives them with a reason`,
  };
}

export type CadenceFacts = { enforced: false; why: string } | { enforced: true; ok: true } | { enforced: true; ok: false; rule: string; nextAllowed: string } | { enforced: true; overridden: Waiver };

/** The cadence at the moment of the tag: an approval that came after the slot holds the release to the next one. */
export function cadenceLine(facts: CadenceFacts): ReadinessLine {
  if (!facts.enforced) return { key: 'cadence', state: 'holds', text: `Cadence: ${facts.why}` };
  if ('overridden' in facts) return { key: 'cadence', state: 'holds', text: `Cadence overridden by ${facts.overridden.by}: ${facts.overridden.reason}` };
  if (facts.ok) return { key: 'cadence', state: 'holds', text: 'Cadence: on its slot' };
  return { key: 'cadence', state: 'waiting', text: `Cadence: ${facts.rule}; it goes on by itself at ${facts.nextAllowed}, or an approver waives it with a reason` };
}

export interface FreezeFacts {
  /** The freezes in force for the release's type, each with why and until when, as shown. */
  inForce: { reason: string; until: string }[];
  /** Sources that could not be read (Datadog, the status page), each with why: not taken as clear. */
  unknown: string[];
  waived?: Waiver;
}

/** Deploy freezes: the release waits while one is in force (or cannot be ruled out), unless an approver waived it. */
export function freezeLine(facts: FreezeFacts): ReadinessLine {
  const freezes = facts.inForce.map((f) => `${f.reason} (until ${f.until})`);
  if (facts.waived) {
    const what = [...freezes, ...facts.unknown].join('; ') || 'none in force now';
    return { key: 'freeze', state: 'holds', text: `Deploy freeze (${what}) overridden by ${facts.waived.by}: ${facts.waived.reason}` };
  }
  if (freezes.length > 0) {
    return { key: 'freeze', state: 'waiting', text: `Deploy freeze: ${freezes.join('; ')}; it goes on by itself when the freeze ends, or an approver waives it with a reason` };
  }
  if (facts.unknown.length > 0) return { key: 'freeze', state: 'waiting', text: `Deploy freeze: ${facts.unknown.join('; ')}; looking again` };
  return { key: 'freeze', state: 'holds', text: 'Deploy freeze: none in force' };
}

/** How production is guarded, as read from GitHub's environment (or not guarded, and what to change). */
export interface ProductionFacts {
  how: string;
  /** What to change, when the policy asks for a gate GitHub will not enforce. */
  refuse?: string;
  /** GitHub could not be asked: not taken as guarded. */
  unknown?: boolean;
}

export function productionLine(facts: ProductionFacts): ReadinessLine {
  if (facts.unknown) return { key: 'production', state: 'waiting', text: `Production gate: ${facts.how}` };
  if (facts.refuse) return { key: 'production', state: 'failing', text: `Production gate: ${facts.how.replace(/\.$/, '')}. ${facts.refuse}` };
  return { key: 'production', state: 'holds', text: `Production gate: ${facts.how}` };
}

/** What changed between two judgements, for the audit log and "said once" posts: the keys not holding. */
export function notHolding(r: Readiness): string[] {
  return r.lines.filter((l) => l.state !== 'holds').map((l) => `${l.key}:${l.state}`);
}
