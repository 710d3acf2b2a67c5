import { isOpen } from '../domain/release.js';
import type { RoleName } from '../domain/policy.js';
import { formatDuration } from '../domain/duration.js';
import { clockTime, mention, section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';
import { hotfixDetectedAt, hotfixSteps, refreshProgressView } from './progress-view.js';

/** The people responsible for a hotfix step: whoever raised it, the on-call engineer and the release engineers. */
const RESPONSIBLE: RoleName[] = ['onCall', 'releaseEngineer'];

/**
 * A hotfix step's deadline (counted from detection) passed: if it is still not done, remind the people
 * responsible in the thread, and (at the escalation stage, `escalateAfter` after the deadline) page the VP
 * Eng. Each is posted once; a deadline already past when the hotfix was raised is said at once.
 */
export async function hotfixStepDue(ctx: JobContext, data: { releaseId: string; step: string; stage: 'reminder' | 'escalation' }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.hotfix || !release.threadTs || !isOpen(release.state)) return;
  if (release.hotfix.steps[data.step]) return;
  const step = hotfixSteps(release, ctx).find((s) => s.key === data.step);
  if (!step) return;
  const thread = { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs };
  const tz = ctx.policy.timezone;
  const detected = hotfixDetectedAt(release);
  const due = step.dueAt ?? detected;
  const when = `due by ${clockTime(due, tz)}, ${formatDuration(due.getTime() - detected.getTime())} after detection at ${clockTime(detected, tz)}`;
  if (data.stage === 'reminder') {
    const people = new Set([release.requestedBy, ...(await Promise.all(RESPONSIBLE.map((r) => ctx.roles.holders(r)))).flat()]);
    await ctx.posts.postOnce(postKeys.hotfixStep(release.id, data.step, 'reminder'), thread, {
      text: `⏰ Hotfix ${release.version}: "${step.label}" is overdue`,
      blocks: [section(`⏰ *Hotfix ${release.version}: “${step.label}” is overdue* (${when}). ${[...people].map(mention).join(' ')} — please do it now, or say in this thread what is blocking it.`)],
    });
    await ctx.store.audit(release.id, 'hotfix.step_overdue', { step: data.step });
    await refreshProgressView(ctx, release);
    const escalateAt = due.getTime() + ctx.policy.releaseTypes.hotfix.escalateAfter;
    await ctx.jobs.add('hotfix-step-due', { ...data, stage: 'escalation' }, { delayMs: Math.max(0, escalateAt - ctx.clock().getTime()) });
    return;
  }
  const vpEng = await ctx.roles.holders('vpEng');
  await ctx.posts.postOnce(postKeys.hotfixStep(release.id, data.step, 'escalation'), thread, {
    text: `🚨 Escalation to the VP Eng: hotfix ${release.version} is stuck at "${step.label}"`,
    blocks: [section(`🚨 *Escalation:* hotfix ${release.version} is still stuck at “${step.label}” (${when}). ${vpEng.length > 0 ? vpEng.map(mention).join(' ') : 'The VP Eng (no one holds the role in the policy)'}, please step in.`)],
  });
  await ctx.store.audit(release.id, 'hotfix.step_escalated', { step: data.step, to: vpEng });
}
