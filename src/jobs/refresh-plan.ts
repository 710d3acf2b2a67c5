import { PLAN_SECTIONS, type PlanItem } from '../domain/release-plan.js';
import type { PlanContent, ReleasePlanRow } from '../integrations/database/schema.js';
import { planRefreshedMessage, releaseNotesDraftMessage } from '../messages/release-plan.js';
import { planThread } from '../services/plan-checklists.js';
import { ABANDONED_CLAIM_MS, PostUnderWayError } from '../services/posts.js';
import { postKeys, type JobContext } from './context.js';
import { draftPlan, planCard } from './plan-draft.js';

/**
 * Reads again what was merged since a planned release's base (up to its release branch once cut, else the
 * default branch), so its card, its release-notes draft and its stored plan (the announcement and "Release
 * complete" read it) follow what was merged after it was drafted.
 * When GitHub lists pull requests the plan lacks, the plan is rebuilt from GitHub's list and stored, with the
 * claim of the thread's note, in one transaction; the card and the draft are then edited in place from the
 * stored plan, and the note is posted last. A retry finds the claim and finishes; nothing new, no Slack call.
 */
export async function refreshPlan(ctx: JobContext, data: { planId: string }): Promise<void> {
  const plan = await ctx.releasePlans.findById(data.planId);
  if (!plan || plan.state !== 'planned' || !plan.plan) return;
  // Once `release/<version>` is cut, the release is what that branch holds: fixes merged into it join, and
  // what the default branch gets after the cut does not.
  const releaseBranch = `release/${plan.version}`;
  const cut = (await ctx.github.branchHead(releaseBranch)) !== undefined;
  const pulls = await ctx.github.mergedSince(plan.plan.base, cut ? releaseBranch : undefined);
  const drafted = draftPlan(ctx.policy, plan, plan.plan.base, cut ? releaseBranch : plan.plan.head, pulls);
  const thread = planThread(plan);

  const claimed = await ctx.releasePlans.replaceContent(plan.id, async (current, tx) => {
    const added = addedTo(current.plan, drafted.content);
    if (added.length === 0) return undefined;
    const key = postKeys.planRefreshed(plan.id, added);
    const from = current.plan?.advisedType;
    const advisedType = from && from !== drafted.content.advisedType ? { from, to: drafted.content.advisedType } : undefined;
    return { plan: drafted.content, notes: drafted.notes, result: { key, fresh: await ctx.posts.claim(key, thread, tx), advisedType } };
  });

  const pending = await ctx.posts.unconfirmedUnder(postKeys.planRefreshed(plan.id));
  if (pending.length === 0) return;
  // Another job's claim still being posted is its own to post; one left by a job that died is posted here.
  const now = Date.now();
  const inFlight = pending.filter((p) => p.key !== claimed?.key && now - p.claimedAt.getTime() < ABANDONED_CLAIM_MS);
  const due = pending.filter((p) => !inFlight.includes(p));

  if (due.length > 0) {
    // The card and the draft first, rendered from the stored plan: a posted note means they show it.
    const stored = async () => {
      const row = await ctx.releasePlans.findById(plan.id);
      if (!row?.plan) throw new Error(`plan ${plan.id} lost its content`);
      return row as ReleasePlanRow & { plan: PlanContent };
    };
    await ctx.posts.refresh(postKeys.plan(plan.id), async () => {
      const row = await stored();
      return planCard(ctx.policy, row, row.plan);
    });
    await ctx.posts.refresh(postKeys.planNotes(plan.id), async () => releaseNotesDraftMessage(plan.version, (await stored()).notes ?? ''));
    const content = (await stored()).plan;
    for (const post of due) {
      const mine = post.key === claimed?.key;
      const added = numbersOf(post.key).map((n) => itemOf(content, n) ?? { number: n, title: '', url: '', status: 'Merged' });
      const message = planRefreshedMessage({ version: plan.version, added, ...(mine && claimed.advisedType ? { advisedType: claimed.advisedType } : {}) });
      await ctx.posts.deliver(post.key, thread, message, mine && claimed.fresh);
    }
  }
  if (inFlight[0]) throw new PostUnderWayError(inFlight[0].key);
}

/**
 * The pull requests of `next` that `stored` lacks, in order. A merged pull request does not leave the
 * range, so only additions count: a read that lists fewer (history rewritten) is no reason to touch Slack.
 */
function addedTo(stored: PlanContent | null, next: PlanContent): number[] {
  const have = new Set(numbers(stored));
  return numbers(next).filter((n) => !have.has(n));
}

function numbers(content: PlanContent | null): number[] {
  if (!content) return [];
  return [...new Set(PLAN_SECTIONS.flatMap((s) => content.sections[s].map((i) => i.number)))].sort((a, b) => a - b);
}

function itemOf(content: PlanContent, n: number): PlanItem | undefined {
  return PLAN_SECTIONS.flatMap((s) => content.sections[s]).find((i) => i.number === n);
}

function numbersOf(key: string): number[] {
  return (key.split(':').pop() ?? '').split('-').filter(Boolean).map(Number);
}
