import type { ProductionVersions } from '../integrations/database/production-history.js';
import type { Release, ReleaseStore } from '../integrations/database/release-store.js';

export interface IncidentDeps {
  store: ReleaseStore;
  production: ProductionVersions;
  clock: () => Date;
}

/**
 * `/release incident`: the problem is recorded on the release production runs (the one whose post-deploy
 * checks or deploy are under way first), so that an emergency rollback of it counts the guide's 5 minutes
 * from this detection. Nothing is recorded when tminus knows of no such release.
 */
export async function recordIncident(deps: IncidentDeps, input: { by: string; severity: string; issue: string }): Promise<Release | undefined> {
  const deploying = (await deps.store.inFlight()).find((r) => r.state === 'verifying' || r.state === 'deploying');
  const live = deploying ?? (await liveRelease(deps));
  if (!live) return undefined;
  await deps.store.audit(live.id, 'incident.reported', { severity: input.severity, issue: input.issue, at: deps.clock().toISOString() }, input.by);
  return live;
}

async function liveRelease(deps: IncidentDeps): Promise<Release | undefined> {
  const version = await deps.production.productionVersion();
  const release = version && (await deps.store.findByVersion(version.tag));
  return release && ['completed', 'stable'].includes(release.state) ? release : undefined;
}
