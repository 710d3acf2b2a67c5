import { createHash } from 'node:crypto';

/**
 * Git objects of the stand-in: blobs and trees, hashed as git hashes them (so identical trees have
 * identical shas, and the empty tree is 4b825dc…). A repository snapshot is a map path → content.
 */

export type Files = ReadonlyMap<string, string>;

/** Writes (a string) or deletes (null) files; deleting a directory's path deletes everything under it. */
export type FileChanges = Record<string, string | null>;

export interface TreeEntry {
  path: string;
  mode: '100644' | '040000';
  type: 'blob' | 'tree';
  sha: string;
  /** Blobs only: bytes. */
  size?: number;
}

export interface FileDiff {
  filename: string;
  status: 'added' | 'removed' | 'modified';
  /** The blob after the change (before it, for a removal). */
  sha: string;
  additions: number;
  deletions: number;
}

/** Blobs and trees by sha, as the repository's snapshot keeps them. */
export interface GitObjectsSnapshot {
  blobs: Map<string, string>;
  trees: Map<string, TreeEntry[]>;
  snapshots: Map<string, Files>;
}

export class GitObjects {
  private readonly blobs = new Map<string, string>();
  /** Tree sha → its direct entries. */
  private readonly trees = new Map<string, TreeEntry[]>();
  /** Tree sha → every file under it, by path relative to it. */
  private readonly snapshots = new Map<string, Files>();

  snapshot(): GitObjectsSnapshot {
    return structuredClone({ blobs: this.blobs, trees: this.trees, snapshots: this.snapshots });
  }

  restore(snapshot: GitObjectsSnapshot): void {
    for (const [own, kept] of [[this.blobs, snapshot.blobs], [this.trees, snapshot.trees], [this.snapshots, snapshot.snapshots]] as [Map<string, unknown>, Map<string, unknown>][]) {
      own.clear();
      for (const [sha, value] of kept) own.set(sha, structuredClone(value));
    }
  }

  /** Stores the files as a tree (with its subtrees and blobs) and answers its sha. */
  writeTree(files: Files): string {
    const direct = new Map<string, string>();
    const dirs = new Map<string, Map<string, string>>();
    for (const [path, content] of files) {
      const slash = path.indexOf('/');
      if (slash < 0) direct.set(path, content);
      else {
        const dir = path.slice(0, slash);
        if (!dirs.has(dir)) dirs.set(dir, new Map());
        dirs.get(dir)?.set(path.slice(slash + 1), content);
      }
    }
    const entries: TreeEntry[] = [];
    for (const [name, content] of direct) {
      entries.push({ path: name, mode: '100644', type: 'blob', sha: this.writeBlob(content), size: Buffer.byteLength(content) });
    }
    for (const [name, sub] of dirs) entries.push({ path: name, mode: '040000', type: 'tree', sha: this.writeTree(sub) });
    // git orders entries by name, a directory's name as if it ended with '/'.
    const key = (e: TreeEntry): string => (e.type === 'tree' ? `${e.path}/` : e.path);
    entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const body = Buffer.concat(
      entries.map((e) => Buffer.concat([Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`), Buffer.from(e.sha, 'hex')])),
    );
    const sha = gitHash('tree', body);
    if (!this.trees.has(sha)) {
      this.trees.set(sha, entries);
      this.snapshots.set(sha, new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    }
    return sha;
  }

  writeBlob(content: string): string {
    const sha = gitHash('blob', Buffer.from(content));
    this.blobs.set(sha, content);
    return sha;
  }

  hasTree(sha: string): boolean {
    return this.trees.has(sha);
  }

  blob(sha: string): string | undefined {
    return this.blobs.get(sha);
  }

  /** Every file under the tree, sorted by path; undefined for an unknown tree. */
  files(treeSha: string): Files | undefined {
    return this.snapshots.get(treeSha);
  }

  /** The tree's entries; with `recursive`, its subtrees' too, with their full paths. */
  entries(treeSha: string, recursive: boolean, prefix = ''): TreeEntry[] | undefined {
    const direct = this.trees.get(treeSha);
    if (direct === undefined) return undefined;
    return direct.flatMap((e) => {
      const entry = { ...e, path: `${prefix}${e.path}` };
      return recursive && e.type === 'tree' ? [entry, ...(this.entries(e.sha, true, `${entry.path}/`) ?? [])] : [entry];
    });
  }
}

/** The files with the changes applied. Throws for an invalid path. */
export function applyChanges(files: Files, changes: FileChanges): Map<string, string> {
  const out = new Map(files);
  for (const [path, content] of Object.entries(changes)) {
    if (!validPath(path)) throw new Error(`Invalid path: ${JSON.stringify(path)}`);
    if (content === null) {
      out.delete(path);
      for (const p of [...out.keys()]) if (p.startsWith(`${path}/`)) out.delete(p);
    } else {
      for (const p of [...out.keys()]) if (p.startsWith(`${path}/`) || path.startsWith(`${p}/`)) out.delete(p);
      out.set(path, content);
    }
  }
  return out;
}

export function validPath(path: string): boolean {
  return path !== '' && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && s !== '.git');
}

/** What changed from `before` to `after`, by path; line counts trim the common head and tail. */
export function diffFiles(objects: GitObjects, before: Files, after: Files): FileDiff[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.flatMap((filename): FileDiff[] => {
    const a = before.get(filename);
    const b = after.get(filename);
    if (a === b) return [];
    const { additions, deletions } = lineChanges(a ?? '', b ?? '');
    const status = a === undefined ? 'added' : b === undefined ? 'removed' : 'modified';
    return [{ filename, status, sha: objects.writeBlob(b ?? a ?? ''), additions, deletions }];
  });
}

/** The changes that turn `before` into `after`. */
export function changesBetween(before: Files, after: Files): FileChanges {
  const changes: FileChanges = {};
  for (const path of before.keys()) if (!after.has(path)) changes[path] = null;
  for (const [path, content] of after) if (before.get(path) !== content) changes[path] = content;
  return changes;
}

/**
 * A three-way merge of whole files: a path changed on one side only takes that side; changed on both
 * sides differently, it conflicts. Undefined on a conflict.
 */
export function mergeFiles(base: Files, ours: Files, theirs: Files): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const path of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const [o, b, t] = [base.get(path), ours.get(path), theirs.get(path)];
    const merged = b === t ? b : b === o ? t : t === o ? b : null;
    if (merged === null) return undefined;
    if (merged !== undefined) out.set(path, merged);
  }
  return out;
}

function lineChanges(before: string, after: string): { additions: number; deletions: number } {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  return { additions: b.length - head - tail, deletions: a.length - head - tail };
}

function gitHash(type: 'blob' | 'tree', body: Buffer): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])).digest('hex');
}
