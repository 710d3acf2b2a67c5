import { createHash } from 'node:crypto';
import semver from 'semver';
import type { FileChanges, Files, GitObjectsSnapshot } from './git-data.js';
import { GitObjects, applyChanges } from './git-data.js';

/**
 * The stand-in's git model: a commit graph, branches, lightweight tags and releases. Each commit has a
 * tree: a snapshot of the repository's files (see git-data.ts).
 */

export const SANDBOX_AUTHOR = { name: 'tminus-sandbox', email: 'tminus-sandbox@users.noreply.github.com' };

export interface Commit {
  sha: string;
  message: string;
  /** The first parent. */
  parent: string | undefined;
  /** When it was committed (the committer's date). */
  date: number;
  /** When it was written, where that is earlier (git keeps the author's date through rebases and amends). */
  authoredAt?: number;
  /** Every parent, the first one first (none for a root commit, two for a merge). */
  parents: string[];
  /** The sha of the commit's tree. */
  tree: string;
}

export interface Tag {
  name: string;
  sha: string;
}

export interface Release {
  id: number;
  tagName: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  targetCommitish: string;
  createdAt: number;
}

export interface RepositorySnapshot {
  commits: Commit[];
  branchHeads: Map<string, string>;
  tags: Tag[];
  releases: Release[];
  latestReleaseId: number | undefined;
  nextReleaseId: number;
  commitSeq: number;
  objects: GitObjectsSnapshot;
}

export interface Comparison {
  status: 'identical' | 'ahead' | 'behind' | 'diverged';
  /** Commits reachable from head and not from base, oldest first. */
  ahead: Commit[];
  behind: Commit[];
  mergeBase: Commit | undefined;
}

export class Repository {
  private readonly commitsBySha = new Map<string, Commit>();
  private readonly branchHeads = new Map<string, string>();
  /** In creation order. */
  private readonly tagList: Tag[] = [];
  /** In creation order. */
  private readonly releaseList: Release[] = [];
  private latestReleaseId: number | undefined;
  private nextReleaseId = 30_000_001;
  private commitSeq = 0;
  /** Blobs and trees. */
  readonly objects = new GitObjects();

  constructor(
    readonly defaultBranch: string,
    private readonly clock: () => number,
    /** Web address of the repository, for compare links in release notes. */
    private readonly webUrl: string,
  ) {
    const name = webUrl.split('/').pop() ?? 'repository';
    const files = new Map([['README.md', `# ${name}\n`], ['CHANGELOG.md', '# Changelog\n']]);
    this.branchHeads.set(defaultBranch, this.newCommit([], 'Initial commit', this.objects.writeTree(files)));
  }

  /**
   * A commit on `branch` (created from the default branch's head if missing). `files` writes or
   * deletes files; without it the commit appends its message's first line to CHANGELOG.md. `authoredAt`
   * is the author's date (ms) where it differs from the commit's.
   */
  commit(branch: string, message: string, files?: FileChanges, authoredAt?: number): string {
    const parent = this.branchHeads.get(branch) ?? this.defaultHead();
    const before = this.filesAt(parent) ?? new Map<string, string>();
    const changes = files ?? { 'CHANGELOG.md': `${before.get('CHANGELOG.md') ?? '# Changelog\n'}- ${firstLine(message)}\n` };
    const sha = this.newCommit([parent], message, this.objects.writeTree(applyChanges(before, changes)), authoredAt);
    this.branchHeads.set(branch, sha);
    return sha;
  }

  /** A commit that no ref points at (yet), as POST /git/commits makes. Throws for an unknown tree or parent. */
  createCommit(message: string, tree: string, parents: string[]): string {
    if (!this.objects.hasTree(tree)) throw new Error(`Unknown tree ${tree}`);
    for (const p of parents) if (!this.commitsBySha.has(p)) throw new Error(`Unknown commit ${p}`);
    return this.newCommit(parents, message, tree);
  }

  /** The files of a commit's tree; undefined for an unknown commit. */
  filesAt(sha: string): Files | undefined {
    const commit = this.commitsBySha.get(sha);
    return commit === undefined ? undefined : this.objects.files(commit.tree);
  }

  /** Points `name` at the commit, creating the branch if needed. */
  setBranch(name: string, sha: string): void {
    if (!this.commitsBySha.has(sha)) throw new Error(`Unknown commit ${sha}`);
    this.branchHeads.set(name, sha);
  }

  deleteBranch(name: string): boolean {
    if (name === this.defaultBranch) throw new Error('Cannot delete the default branch');
    return this.branchHeads.delete(name);
  }

  moveTag(name: string, sha: string): void {
    const tag = this.tag(name);
    if (tag === undefined) throw new Error(`Unknown tag ${name}`);
    if (!this.commitsBySha.has(sha)) throw new Error(`Unknown commit ${sha}`);
    tag.sha = sha;
  }

  deleteTag(name: string): boolean {
    const index = this.tagList.findIndex((t) => t.name === name);
    if (index >= 0) this.tagList.splice(index, 1);
    return index >= 0;
  }

  /** Whether `ancestor` is `sha` or one of its ancestors. */
  isAncestor(ancestor: string, sha: string): boolean {
    return this.history(sha).some((c) => c.sha === ancestor);
  }

  createBranch(name: string, from?: string): string {
    if (this.branchHeads.has(name)) throw new Error(`Branch ${name} already exists`);
    const sha = from === undefined ? this.defaultHead() : this.resolve(from);
    if (sha === undefined) throw new Error(`Unknown ref or sha: ${from}`);
    this.branchHeads.set(name, sha);
    return sha;
  }

  /** Every branch and its head: [name, sha]. */
  branches(): [string, string][] {
    return [...this.branchHeads];
  }

  headOf(branch: string): string | undefined {
    return this.branchHeads.get(branch);
  }

  defaultHead(): string {
    const head = this.branchHeads.get(this.defaultBranch);
    if (head === undefined) throw new Error('The default branch is gone');
    return head;
  }

  getCommit(sha: string): Commit | undefined {
    return this.commitsBySha.get(sha);
  }

  /** A branch, tag, `heads/x`, `tags/x`, `refs/heads/x`, `refs/tags/x`, full sha or unique sha prefix (≥ 7). */
  resolve(ref: string): string | undefined {
    const bare = ref.replace(/^refs\//, '');
    if (bare.startsWith('heads/')) return this.branchHeads.get(bare.slice('heads/'.length));
    if (bare.startsWith('tags/')) return this.tag(bare.slice('tags/'.length))?.sha;
    const named = this.branchHeads.get(ref) ?? this.tag(ref)?.sha;
    if (named !== undefined) return named;
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      const matches = [...this.commitsBySha.keys()].filter((sha) => sha.startsWith(ref));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  /** The commit and its ancestors (every parent of a merge), newest first. */
  history(sha: string): Commit[] {
    const seen = new Set<string>();
    const stack = [sha];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const c = this.commitsBySha.get(next);
      if (c === undefined || seen.has(c.sha)) continue;
      seen.add(c.sha);
      stack.push(...c.parents);
    }
    // Commits are stored in creation order, each after its parents.
    return [...this.commitsBySha.values()].filter((c) => seen.has(c.sha)).reverse();
  }

  compare(baseSha: string, headSha: string): Comparison {
    const headHistory = this.history(headSha);
    const baseHistory = this.history(baseSha);
    const inBase = new Set(baseHistory.map((c) => c.sha));
    const inHead = new Set(headHistory.map((c) => c.sha));
    const ahead = headHistory.filter((c) => !inBase.has(c.sha)).reverse();
    const behind = baseHistory.filter((c) => !inHead.has(c.sha)).reverse();
    const status = ahead.length === 0 ? (behind.length === 0 ? 'identical' : 'behind') : behind.length === 0 ? 'ahead' : 'diverged';
    return { status, ahead, behind, mergeBase: headHistory.find((c) => inBase.has(c.sha)) };
  }

  addTag(name: string, sha: string): void {
    if (this.tag(name) !== undefined) throw new Error(`Tag ${name} already exists`);
    if (!this.commitsBySha.has(sha)) throw new Error(`Unknown commit ${sha}`);
    this.tagList.push({ name, sha });
  }

  tag(name: string): Tag | undefined {
    return this.tagList.find((t) => t.name === name);
  }

  /** Newest first. */
  tags(): Tag[] {
    return [...this.tagList].reverse();
  }

  /**
   * The tag to compare a new tag at `sha` against: the nearest tag on its ancestry (the commit itself
   * included), the most recently created one when several point at the same commit.
   */
  previousTag(tagName: string, sha: string): Tag | undefined {
    const newestFirst = this.tags().filter((t) => t.name !== tagName);
    for (const commit of this.history(sha)) {
      const found = newestFirst.find((t) => t.sha === commit.sha);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * `make_latest` as GitHub takes it: drafts and pre-releases never become Latest; `legacy` makes the release
   * Latest only when its tag is a higher semantic version than the current Latest's (or there is none).
   */
  addRelease(fields: Omit<Release, 'id' | 'createdAt'>, makeLatest: boolean | 'legacy'): Release {
    if (this.release(fields.tagName) !== undefined) throw new Error(`A release for ${fields.tagName} already exists`);
    const release: Release = { ...fields, id: this.nextReleaseId++, createdAt: this.clock() };
    this.releaseList.push(release);
    const current = this.latestRelease();
    const higher = () => {
      const [next, now] = [semver.coerce(release.tagName, { includePrerelease: true }), current && semver.coerce(current.tagName, { includePrerelease: true })];
      return !current || !next || !now || semver.gt(next, now);
    };
    if (makeLatest !== false && !release.draft && !release.prerelease && (makeLatest === true || higher())) this.latestReleaseId = release.id;
    return release;
  }

  release(tagName: string): Release | undefined {
    return this.releaseList.find((r) => r.tagName === tagName);
  }

  latestRelease(): Release | undefined {
    return this.releaseList.find((r) => r.id === this.latestReleaseId);
  }

  /** Newest first. */
  releases(): Release[] {
    return [...this.releaseList].reverse();
  }

  /** Commits, branches, tags, releases and objects, for the stand-in's snapshot. */
  snapshot(): RepositorySnapshot {
    const { commitsBySha, branchHeads, tagList, releaseList, latestReleaseId, nextReleaseId, commitSeq } = this;
    return structuredClone({ commits: [...commitsBySha.values()], branchHeads, tags: tagList, releases: releaseList, latestReleaseId, nextReleaseId, commitSeq, objects: this.objects.snapshot() });
  }

  /** Replaces everything with a snapshot's (the initial commit included). */
  restore(snapshot: RepositorySnapshot): void {
    const copy = structuredClone(snapshot);
    this.commitsBySha.clear();
    for (const commit of copy.commits) this.commitsBySha.set(commit.sha, commit);
    this.branchHeads.clear();
    for (const [branch, sha] of copy.branchHeads) this.branchHeads.set(branch, sha);
    this.tagList.splice(0, this.tagList.length, ...copy.tags);
    this.releaseList.splice(0, this.releaseList.length, ...copy.releases);
    this.latestReleaseId = copy.latestReleaseId;
    this.nextReleaseId = copy.nextReleaseId;
    this.commitSeq = copy.commitSeq;
    this.objects.restore(copy.objects);
  }

  private newCommit(parents: string[], message: string, tree: string, authoredAt?: number): string {
    this.commitSeq += 1;
    const [parent, ...others] = parents;
    const extra = others.length > 0 ? `\n${others.join(' ')}` : '';
    const sha = createHash('sha1').update(`${parent ?? ''}\n${message}\n${this.commitSeq}${extra}`).digest('hex');
    this.commitsBySha.set(sha, { sha, message, parent, date: this.clock(), ...(authoredAt === undefined ? {} : { authoredAt }), parents: [...parents], tree });
    return sha;
  }
}

export function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? '';
}
