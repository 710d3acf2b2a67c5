import type { JobContext } from './context.js';

/**
 * Datadog events when a release starts, completes and is rolled back (tagged with service, version and
 * release type, so dashboards show them), and DORA metrics: each production deployment with the commit it
 * deployed and its repository (so Datadog can compute lead time), and each rollback as a failure.
 */
export async function deployMarker(ctx: JobContext, data: { releaseId: string; kind: 'started' | 'completed' | 'rolled_back' }): Promise<void> {
  const release = await ctx.store.findById(data.releaseId);
  if (!release || !ctx.observability) return;
  const env = ctx.policy.verification.env;
  const tags = [`service:${ctx.service}`, `env:${env}`, `version:${release.version}`, `release_type:${release.type}`, 'source:tminus'];
  const titles = { started: 'started', completed: 'completed', rolled_back: 'rolled back' } as const;
  // Read before the event is posted, so that GitHub being down does not post the event twice.
  const repositoryUrl = data.kind === 'completed' && release.targetSha ? await ctx.github.webUrl() : undefined;
  await ctx.observability.event({
    title: `Release ${release.version} ${titles[data.kind]}`,
    text: `${release.type} release ${release.version} of ${ctx.github.fullName} ${titles[data.kind]}${release.previousVersion ? ` (previous: ${release.previousVersion})` : ''}.`,
    tags,
    alertType: data.kind === 'rolled_back' ? 'error' : data.kind === 'completed' ? 'success' : 'info',
  });
  if (data.kind === 'completed' && release.finishedAt) {
    await ctx.observability.doraDeployment({
      service: ctx.service,
      env,
      version: release.version,
      startedAt: release.startedAt,
      finishedAt: release.finishedAt,
      // The commit deployed: Datadog walks its history to the pull requests' first commits (lead time).
      ...(repositoryUrl && release.targetSha ? { git: { commitSha: release.targetSha, repositoryUrl } } : {}),
    });
  }
  if (data.kind === 'rolled_back' && release.rollback) {
    await ctx.observability.doraFailure({
      service: ctx.service,
      env,
      version: release.version,
      name: `Rollback of ${release.version}: ${release.rollback.reason}`,
      severity: 'high',
      startedAt: new Date(release.rollback.startedAt),
      ...(release.rollback.restoredAt ? { finishedAt: new Date(release.rollback.restoredAt) } : {}),
    });
  }
  await ctx.store.audit(release.id, 'datadog.marker', { kind: data.kind });
}
