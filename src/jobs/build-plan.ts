import { compareVersions, latestVersion, parseVersion, type Version } from '../domain/version.js';
import { nothingMergedMessage, nothingToReleaseMessage, noPreviousReleaseMessage, planFailedMessage, releaseNotesDraftMessage } from '../messages/release-plan.js';
import { postKeys, type JobContext } from './context.js';
import { draftPlan, planCard } from './plan-draft.js';
import { respondPrivately } from './respond.js';

/**
 * Fills in a drafted plan from GitHub: the pull requests merged since the last release tag, sorted into
 * the guide's sections; posts the release-plan card in #releases (its thread is the plan's) and the
 * release-notes draft in that thread, then stores both. Each post happens once, so a retry is harmless.
 */
export async function buildPlan(ctx: JobContext, data: { planId: string; responseUrl?: string }): Promise<void> {
  const plan = await ctx.releasePlans.findById(data.planId);
  if (!plan || plan.state !== 'drafting') return;
  const parsed = parseVersion(plan.version);
  if (!parsed.ok) throw new Error(`plan ${plan.id} has an invalid version ${plan.version}`);
  const version = parsed.version;
  const target = { channel: plan.channelId };

  const tags = (await ctx.github.listTags()).flatMap((t) => {
    const v = parseVersion(t.name);
    return v.ok ? [v.version] : [];
  });
  const previous = latestVersion(tags.filter((v): v is Version => v.prerelease.length === 0 && compareVersions(v, version) < 0));
  if (!previous) {
    const { ts } = await ctx.posts.postOnce(postKeys.plan(plan.id), target, noPreviousReleaseMessage(version.tag));
    await ctx.releasePlans.transition(plan.id, 'drafting', 'cancelled', { threadTs: ts });
    return;
  }

  const pulls = await ctx.github.mergedSince(previous.tag);
  if (pulls.length === 0) {
    await nothingMerged(ctx, plan, data.responseUrl, version.tag, previous.tag);
    return;
  }

  const head = await ctx.github.defaultBranch();
  const { content, notes } = draftPlan(ctx.policy, plan, previous.tag, head, pulls);
  const { ts } = await ctx.posts.postOnce(postKeys.plan(plan.id), target, planCard(ctx.policy, plan, content));
  await ctx.posts.postOnce(postKeys.planNotes(plan.id), { ...target, threadTs: ts }, releaseNotesDraftMessage(version.tag, notes));
  await ctx.releasePlans.transition(plan.id, 'drafting', 'planned', { plan: content, notes, threadTs: ts });
}

/**
 * Nothing merged since the last tag: no plan is made. The person who typed `/release plan` is told privately; the
 * channel only when nobody can be (a draft picked up again after a restart, or a response_url that expired).
 */
async function nothingMerged(ctx: JobContext, plan: { id: string; version: string; channelId: string }, responseUrl: string | undefined, version: string, previous: string): Promise<void> {
  const told = responseUrl
    ? await respondPrivately(responseUrl, { ...nothingMergedMessage(version, previous) }).then(
        () => true,
        (err: unknown) => (ctx.log.warn({ err, planId: plan.id }, 'nothing merged: the private answer failed; telling the channel'), false),
      )
    : false;
  const ts = told ? null : (await ctx.posts.postOnce(postKeys.plan(plan.id), { channel: plan.channelId }, nothingToReleaseMessage(version, previous))).ts;
  await ctx.releasePlans.transition(plan.id, 'drafting', 'cancelled', ts ? { threadTs: ts } : {});
  ctx.log.info({ planId: plan.id, version: plan.version, since: previous, privately: told }, 'nothing merged since the last release: no plan made');
}

/** When build-plan gives up for good: the drafting plan is cancelled (so its version can be planned again) and says why. */
export async function abandonPlan(ctx: JobContext, data: { planId: string }, error: Error): Promise<void> {
  const plan = await ctx.releasePlans.findById(data.planId);
  if (!plan || plan.state !== 'drafting') return;
  const { ts } = await ctx.posts.postOnce(postKeys.planFailed(plan.id), { channel: plan.channelId }, planFailedMessage(plan.version, error.message));
  await ctx.releasePlans.transition(plan.id, 'drafting', 'cancelled', { threadTs: ts });
}
