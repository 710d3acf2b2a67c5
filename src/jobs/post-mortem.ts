import { section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';

/** After a rollback: a GitHub issue for the post-mortem, its body built from the release's audit log. */
export async function postMortem(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release?.rollback || !release.threadTs) return;
  const existing = await ctx.store.lastEvent(release.id, 'rollback.post_mortem_opened');
  let url = existing?.details.url as string | undefined;
  if (!url) {
    const events = await ctx.store.events(release.id);
    const breaches = events.filter((e) => e.action === 'verification.breach_opened' || e.action === 'verification.breach_escalated');
    const rollback = release.rollback;
    const restore = rollback.restoredAt ? Math.round((Date.parse(rollback.restoredAt) - Date.parse(rollback.startedAt)) / 1000) : undefined;
    const body = [
      `Post-mortem for the rollback of **${release.version}** to **${rollback.toVersion}** (${release.type} release).`,
      '',
      `- Reason: ${rollback.reason}`,
      `- Rolled back by: ${rollback.by === 'tminus' ? 'tminus (automatic)' : rollback.by}`,
      `- Time to restore: ${restore !== undefined ? `${restore} s` : 'unknown'} (guide: within ${Math.round(ctx.policy.rollback.timeLimit / 60_000)} minutes)`,
      rollback.runUrl ? `- Rollback run: ${rollback.runUrl}` : '',
      '',
      '## Breaches',
      ...(breaches.length > 0
        ? breaches.map((b) => `- ${b.at.toISOString()} ${String(b.details.check)} (${String(b.details.severity ?? b.details.to)}${b.details.to ? `, escalated from ${String(b.details.from)}` : ''}): ${String(b.details.value ?? '')}`)
        : ['- none recorded']),
      '',
      '## Timeline (from the audit log)',
      '| When (UTC) | Who | What |',
      '| --- | --- | --- |',
      ...events.map((e) => `| ${e.at.toISOString()} | ${e.actor} | ${e.action}${Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details).replaceAll('|', '\\|')}` : ''} |`),
      '',
      '## To do (the guide)',
      '- [ ] Root cause analysis',
      '- [ ] Fix planned for the next release',
      '- [ ] Communication with affected customers',
      '- [ ] Lessons learned documented',
    ].join('\n');
    url = await ctx.github.createIssue(`Post-mortem: rollback of ${release.version}`, body, ['post-mortem']);
    await ctx.store.audit(release.id, 'rollback.post_mortem_opened', { url });
  }
  await ctx.posts.postOnce(postKeys.postMortem(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
    text: `📝 Post-mortem issue for ${release.version}: ${url}`,
    blocks: [section(`📝 *Post-mortem* for the rollback of ${release.version}: <${url}|GitHub issue>. Schedule it, find the root cause, plan the fix for the next release.`)],
  });
}
