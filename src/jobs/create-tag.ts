import { GitHubRefusedError } from '../integrations/github.js';
import { SYSTEM_ACTOR, type Release } from '../integrations/database/release-store.js';
import type { JobContext } from './context.js';
import { refreshProgressView } from './progress-view.js';
import { tellStatusPage } from './status-page.js';
import { judgeReadiness, scheduleReadinessLook, showReadiness, type TagCommit } from './readiness.js';
import { readinessRefusedReason } from '../messages/readiness.js';
import { hotfixCommit } from './hotfix-commit.js';

/**
 * T-0: the readiness gate, then the tag. The commit is the head of `release/vX.Y.Z` when that branch exists,
 * else of the default branch, read again at every judgement (a fix pushed while the release is held is what
 * it tags). Held, the release waits in `started` and is judged again on its own; ready, the commit is recorded
 * before the tag is created, so a retry tags the same commit and recognises its own tag.
 */
export async function createTag(ctx: JobContext, data: { releaseId: string }): Promise<void> {
  let release = await ctx.store.findById(data.releaseId);
  if (!release || release.state !== 'started') return;

  if (!release.targetSha) {
    const commit = await commitToTag(ctx, release);
    const judged = await judgeReadiness(ctx, release, commit);
    await showReadiness(ctx, release, commit, judged);
    const refused = judged.lines.filter((l) => l.key === 'production' && l.state === 'failing');
    if (refused.length > 0) {
      await ctx.jobs.ensure('fail-release', { releaseId: release.id, event: 'start_failed', reason: readinessRefusedReason(refused), finishedAt: ctx.clock().toISOString() });
      return;
    }
    if (!judged.ready) {
      await scheduleReadinessLook(ctx, release);
      return;
    }
    const fixed = await fixTarget(ctx, release.id, commit.branch, commit.sha);
    if (!fixed) return;
    release = fixed;
  }
  const sha = release.targetSha!;
  const outcome = await ctx.github.createTag(release.version, sha);
  if (outcome === 'exists') {
    const existing = await ctx.github.tagTarget(release.version);
    if (existing !== sha) {
      throw new GitHubRefusedError(
        `the tag ${release.version} already exists on GitHub at ${existing?.slice(0, 7) ?? 'another commit'}, not at ${sha.slice(0, 7)}: someone else created it`,
        422,
      );
    }
  }
  const applied = await ctx.store.withLock(release.id, async (locked, tx) => {
    // A hotfix was tested before the VP Eng approved it (by CI or a person): the tag ticks nothing.
    return ctx.store.applyLocked(tx, locked, 'tag_created', {
      set: { taggedAt: ctx.clock() },
      details: { tag: release.version, sha, branch: release.targetBranch, alreadyExisted: outcome === 'exists' },
    });
  });
  if (!applied.ok) return;
  await refreshProgressView(ctx, applied.release);
  await ctx.jobs.add('follow-deploy', { releaseId: release.id, poll: 0 });
  await ctx.jobs.add('deploy-marker', { releaseId: release.id, kind: 'started' });
  await tellStatusPage(ctx, 'started', { releaseId: release.id });
}

/** The commit T-0 would tag now: a backport's line branch, a hotfix's own branch, else `release/vX.Y.Z`, else the default branch. */
async function commitToTag(ctx: JobContext, release: Release): Promise<TagCommit> {
  // A backport is tagged on its line's branch only: the default branch's head is another line.
  const releaseBranch = release.backport?.branch ?? `release/${release.version}`;
  const releaseHead = await ctx.github.branchHead(releaseBranch);
  if (!releaseHead && release.backport) {
    throw new GitHubRefusedError(`the backport ${release.version} is tagged on the head of ${releaseBranch}, and that branch does not exist: push the ${release.backport.line} line's branch, then start the backport again`, 404);
  }
  // A hotfix that CI tested ships the commit CI passed on, even if its branch moved on since.
  const tested = release.hotfix?.steps.hotfixTested && release.hotfix.ci?.state === 'success' ? release.hotfix.ci.sha : undefined;
  // A hotfix is a patch on what production runs: its own branch cut from production's tag, never the default branch's head.
  if (release.type === 'hotfix' && !release.backport) {
    const commit = await hotfixCommit(ctx, release);
    return { branch: commit.branch, sha: tested ?? commit.sha };
  }
  const branch = releaseHead ? releaseBranch : await ctx.github.defaultBranch();
  const sha = tested ?? releaseHead ?? (await ctx.github.branchHead(branch));
  if (!sha) throw new GitHubRefusedError(`the branch ${branch} has no head commit`, 404);
  return { branch, sha };
}

/**
 * The ready judgement fixes what the release deploys and what it replaces, under the release's row lock: the
 * commit, and the version production runs now, which becomes the rollback target. A hotfix shipped while
 * the release waited for approval is what it replaces, not what production ran when it was requested.
 */
async function fixTarget(ctx: JobContext, releaseId: string, branch: string, sha: string): Promise<Release | undefined> {
  return ctx.store.withLock(releaseId, async (locked, tx) => {
    if (locked.state !== 'started') return undefined;
    // A run that raced this one fixed it first: the same commit is tagged.
    if (locked.targetSha) return locked;
    // A backport replaces its own line's latest (fixed when it was requested), not what the main line runs.
    const previous = locked.backport ? locked.previousVersion : ((await ctx.production.productionVersion(tx))?.tag ?? null);
    if (previous !== locked.previousVersion) {
      await ctx.store.audit(locked.id, 'release.previous_version_fixed', { from: locked.previousVersion, to: previous }, SYSTEM_ACTOR, tx);
    }
    return ctx.store.update(locked.id, { targetBranch: branch, targetSha: sha, previousVersion: previous }, tx);
  });
}
