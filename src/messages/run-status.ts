import type { ReleaseState } from '../domain/release.js';
import { link } from './format.js';

/**
 * The "🔗 Status:" line of the progress view and the team's status update: the deploy run's link once it is
 * known, else what the run waits for (the approval, the readiness gate and tag, GitHub starting it).
 */
export function deployRunStatus(state: ReleaseState | undefined, runUrl: string | null): string {
  if (runUrl) return link(runUrl, 'GitHub Actions run');
  switch (state) {
    case 'awaiting_approval':
      return 'no deploy run until the release is approved';
    case 'started':
      return 'no deploy run yet: tminus creates the tag once the readiness gate passes, and the tag starts the run';
    case 'awaiting_production_approval':
      return 'no production run yet: it starts once production is approved';
    case 'failed':
    case 'rejected':
    case 'aborted':
      return 'no deploy run was started';
    case 'tagged':
    case 'deploying':
    case undefined:
      return 'waiting for GitHub to start the deploy workflow run on the tag';
    default:
      return 'the deploy run is not known';
  }
}
