import { describeHotfixChange, hotfixBranch, hotfixBranches, isCommitSha, type HotfixChange } from '../domain/hotfix-source.js';
import type { Release } from '../integrations/database/release-store.js';
import { GitHubRefusedError, GitHubUnavailableError } from '../integrations/github.js';
import { escape, section } from '../messages/format.js';
import { postKeys, type JobContext } from './context.js';

/** The commit a hotfix ships, and the branch it is the head of. */
export interface HotfixCommit {
  branch: string;
  sha: string;
  named: boolean;
}

/** The branch a named commit is recorded under (`--from <sha>` names no branch). */
const NAMED_COMMIT = 'named commit';

/**
 * The commit a hotfix ships, as its CI reading, its readiness gate and its tag pick it: the branch or commit the
 * person named (`--from`), else the head of `hotfix/vX.Y.Z` or `release/vX.Y.Z`, else tminus cuts
 * `hotfix/vX.Y.Z` from the tag production runs (audited) and the fix is pushed there. Never the default branch's
 * head, which may carry a release that was rolled back.
 */
export async function hotfixCommit(ctx: JobContext, release: Release): Promise<HotfixCommit> {
  const from = release.hotfix?.from;
  if (from && isCommitSha(from)) return { branch: NAMED_COMMIT, sha: from, named: true };
  if (from) {
    const head = await ctx.github.branchHead(from);
    if (head) return { branch: from, sha: head, named: true };
    // A short sha names a commit, not a branch: GitHub resolves it.
    const commit = /^[0-9a-f]{7,39}$/.test(from) ? await ctx.github.commitOf(from) : undefined;
    if (commit) return { branch: NAMED_COMMIT, sha: commit, named: true };
    throw new GitHubRefusedError(`the branch ${from} named with --from does not exist on GitHub: push it, or abort the hotfix and name another`, 404);
  }
  for (const branch of hotfixBranches(release.version)) {
    const head = await ctx.github.branchHead(branch);
    if (head) return { branch, sha: head, named: false };
  }
  const production = release.previousVersion;
  if (!production) {
    // Nothing released yet: there is no production code to patch; the default branch is all there is.
    const branch = await ctx.github.defaultBranch();
    const head = await ctx.github.branchHead(branch);
    if (!head) throw new GitHubRefusedError(`the branch ${branch} has no head commit`, 404);
    return { branch, sha: head, named: false };
  }
  const sha = await ctx.github.commitOf(production);
  if (!sha) {
    throw new GitHubRefusedError(`the tag ${production} that production runs is not on GitHub, so there is nothing to cut the hotfix from: name its commit with --from`, 404);
  }
  const branch = hotfixBranch(release.version);
  const outcome = await ctx.github.createBranch(branch, sha);
  if (outcome === 'exists') {
    // Cut at the same moment by another worker (or a person): its head is the hotfix's commit.
    const head = await ctx.github.branchHead(branch);
    return { branch, sha: head ?? sha, named: false };
  }
  await ctx.store.audit(release.id, 'hotfix.branch_cut', { branch, from: production, sha });
  return { branch, sha, named: false };
}

/** What the commit carries beyond what production runs (GitHub's compare); `ahead` undefined while GitHub is down. */
export async function hotfixChange(ctx: JobContext, release: Release, commit: HotfixCommit): Promise<HotfixChange> {
  const base = { branch: escape(commit.branch), sha: commit.sha, named: commit.named };
  const tag = release.previousVersion;
  if (!tag) return base;
  try {
    const [productionSha, comparison] = await Promise.all([ctx.github.commitOf(tag), ctx.github.compareCommits(tag, commit.sha)]);
    const newest = comparison.newest.map((c) => ({ sha: c.sha, title: escape(c.title) }));
    return { ...base, production: { tag, sha: productionSha ?? '' }, ahead: comparison.ahead, behind: comparison.behind, newest };
  } catch (error) {
    if (!(error instanceof GitHubUnavailableError) && !(error instanceof GitHubRefusedError)) throw error;
    ctx.log.warn({ releaseId: release.id, err: error.message }, 'hotfix: could not compare its commit with production');
    return { ...base, production: { tag, sha: '' } };
  }
}

/** Records what the hotfix ships (its message shows it) when it changed. */
export async function noteHotfixChange(ctx: JobContext, release: Release, change: HotfixChange): Promise<Release> {
  const ships = { branch: change.branch, sha: change.sha, text: describeHotfixChange(change), ahead: change.ahead ?? null };
  const known = release.hotfix?.ships;
  if (!release.hotfix || (known?.sha === ships.sha && known.text === ships.text)) return release;
  return ctx.store.withLock(release.id, async (locked, tx) => (locked.hotfix ? ctx.store.update(locked.id, { hotfix: { ...locked.hotfix, ships } }, tx) : locked));
}

/** Says once in the hotfix's thread that tminus cut `hotfix/vX.Y.Z` from production's tag, so the fix is pushed there. */
export async function sayBranchCut(ctx: JobContext, release: Release): Promise<void> {
  const cut = (await ctx.store.events(release.id)).find((e) => e.action === 'hotfix.branch_cut');
  if (!cut || !release.threadTs) return;
  const details = cut.details as { branch: string; from: string; sha: string };
  const branch = `\`${escape(details.branch)}\``;
  await ctx.posts.postOnce(postKeys.hotfixBranchCut(release.id), { releaseId: release.id, channel: release.channelId, threadTs: release.threadTs }, {
    text: `✂️ tminus cut ${details.branch} from ${details.from}, what production runs: push the fix there`,
    blocks: [
      section(
        `✂️ *tminus cut ${branch} from ${escape(details.from)}* (\`${details.sha.slice(0, 7)}\`), what production runs. ` +
          `Push the fix to ${branch} (a pull request into it, or a commit): CI on its head is the hotfix's test, and its head is what ships. ` +
          'To ship another branch or commit, abort this hotfix and raise it again with `--from <branch|sha>`.',
      ),
    ],
  });
}
