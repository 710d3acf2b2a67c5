import type { JobContext } from './context.js';
import { postKeys } from './context.js';
import { postGate, startReleaseDay } from './gate-decision.js';
import { hotfixSteps, progressView } from './progress-view.js';

/** Posts the guide's "Release started" message in #releases; its thread carries everything after it. */
export async function announceRelease(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release) return;
  if (!release.threadTs) {
    const { ts } = await ctx.posts.postOnce(postKeys.top(release.id), { releaseId: release.id, channel: release.channelId }, await progressView(ctx, release));
    await ctx.store.update(release.id, { threadTs: ts });
  }
  if (release.type === 'hotfix') {
    // The hotfix message carries the Approve button; each step of the guide's timeline gets its deadline.
    for (const step of hotfixSteps(release, ctx)) {
      if (step.dueAt) await ctx.jobs.add('hotfix-step-due', { releaseId: release.id, step: step.key, stage: 'reminder' }, { delayMs: step.dueAt.getTime() - ctx.clock().getTime() });
    }
  }
  if (release.state === 'awaiting_approval') {
    const gate = await ctx.gates.ofRelease(release.id, 'release');
    if (gate && release.type !== 'hotfix') await postGate(ctx, gate, (await ctx.store.findById(release.id))!);
    return;
  }
  await startReleaseDay(ctx, release);
}
