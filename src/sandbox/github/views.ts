import type { FileDiff } from './git-data.js';
import type { Commit, Release, Repository } from './repository.js';
import { SANDBOX_AUTHOR } from './repository.js';
import type { ReleaseView } from './types.js';
import type { RepoLinks, Workflow } from './workflows.js';
import { SANDBOX_ACTOR, iso, nodeId } from './workflows.js';

/** GitHub's JSON shapes for the repository model. */

export function repositoryView(links: RepoLinks, repository: Repository, createdAt: number) {
  return {
    id: links.repoId,
    node_id: nodeId('R', links.repoId),
    name: links.name,
    full_name: links.fullName,
    private: true,
    owner: links.owner,
    html_url: links.web,
    description: null,
    fork: false,
    url: links.api,
    default_branch: repository.defaultBranch,
    visibility: 'private',
    archived: false,
    disabled: false,
    created_at: iso(createdAt),
    updated_at: iso(createdAt),
    pushed_at: iso(createdAt),
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
}

export function commitView(links: RepoLinks, commit: Commit) {
  const treeSha = commit.tree;
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    commit: {
      author: { ...SANDBOX_AUTHOR, date: iso(commit.authoredAt ?? commit.date) },
      committer: { ...SANDBOX_AUTHOR, date: iso(commit.date) },
      message: commit.message,
      tree: { sha: treeSha, url: `${links.api}/git/trees/${treeSha}` },
      url: `${links.api}/git/commits/${commit.sha}`,
      comment_count: 0,
    },
    url: `${links.api}/commits/${commit.sha}`,
    html_url: `${links.web}/commit/${commit.sha}`,
    author: SANDBOX_ACTOR,
    committer: SANDBOX_ACTOR,
    parents: commit.parents.map((p) => ({ sha: p, url: `${links.api}/commits/${p}`, html_url: `${links.web}/commit/${p}` })),
  };
}

export function branchView(links: RepoLinks, name: string, commit: Commit) {
  return {
    name,
    commit: commitView(links, commit),
    _links: { self: `${links.api}/branches/${encodeURIComponent(name)}`, html: `${links.web}/tree/${name}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
    protection_url: `${links.api}/branches/${encodeURIComponent(name)}/protection`,
  };
}

/** `ref` is the full name, e.g. refs/tags/v1.2.0. */
export function refView(links: RepoLinks, ref: string, sha: string) {
  return {
    ref,
    node_id: nodeId('REF', ref),
    url: `${links.api}/git/${ref}`,
    object: { sha, type: 'commit', url: `${links.api}/git/commits/${sha}` },
  };
}

export function tagView(links: RepoLinks, name: string, sha: string) {
  return {
    name,
    commit: { sha, url: `${links.api}/commits/${sha}` },
    zipball_url: `${links.api}/zipball/refs/tags/${name}`,
    tarball_url: `${links.api}/tarball/refs/tags/${name}`,
    node_id: nodeId('REF', `refs/tags/${name}`),
  };
}

export function releaseView(links: RepoLinks, release: Release): ReleaseView {
  const api = `${links.api}/releases/${release.id}`;
  return {
    id: release.id,
    node_id: nodeId('RE', release.id),
    url: api,
    html_url: `${links.web}/releases/tag/${release.tagName}`,
    assets_url: `${api}/assets`,
    upload_url: `${api}/assets{?name,label}`,
    tarball_url: `${links.api}/tarball/${release.tagName}`,
    zipball_url: `${links.api}/zipball/${release.tagName}`,
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    created_at: iso(release.createdAt),
    published_at: release.draft ? null : iso(release.createdAt),
    author: SANDBOX_ACTOR,
    assets: [],
  };
}

export function workflowView(links: RepoLinks, workflow: Workflow, defaultBranch: string) {
  const path = `.github/workflows/${workflow.file}`;
  return {
    id: workflow.id,
    node_id: nodeId('W', workflow.id),
    name: workflow.name,
    path,
    state: 'active',
    created_at: iso(workflow.createdAt),
    updated_at: iso(workflow.createdAt),
    url: `${links.api}/actions/workflows/${workflow.id}`,
    html_url: `${links.web}/blob/${defaultBranch}/${path}`,
    badge_url: `${links.web}/workflows/${encodeURIComponent(workflow.name)}/badge.svg`,
  };
}

/** A changed file as GitHub lists it for a commit or a pull request, at `sha`. */
export function fileView(links: RepoLinks, sha: string, d: FileDiff) {
  return {
    sha: d.sha,
    filename: d.filename,
    status: d.status,
    additions: d.additions,
    deletions: d.deletions,
    changes: d.additions + d.deletions,
    blob_url: `${links.web}/blob/${sha}/${d.filename}`,
    raw_url: `${links.web}/raw/${sha}/${d.filename}`,
    contents_url: `${links.api}/contents/${d.filename}?ref=${sha}`,
  };
}
