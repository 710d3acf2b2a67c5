import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn, GitHubWebhooks } from '../../src/sandbox/github.js';
import { standInOctokit } from './octokit.js';

const SECRET = 'It’s a Secret to Everybody';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let now = Date.parse('2026-11-20T10:00:00.000Z');
let gh: GitHubStandIn;
let hook: GitHubWebhooks;
let server: Server;
let received: Received[];

beforeEach(async () => {
  now = Date.parse('2026-11-20T10:00:00.000Z');
  received = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 0 });
  gh.defineWorkflow('deploy-production.yml', {
    trigger: 'tag',
    jobs: [
      { name: 'build', durationMs: 1000 },
      { name: 'deploy', environment: 'production', durationMs: 1000 },
    ],
  });
  gh.protectEnvironment('production', ['octocat']);
  gh.addTag('v1.0.0');
  hook = new GitHubWebhooks(gh, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret: SECRET, tickMs: 5 });
});

afterEach(async () => {
  await hook.stop();
  await gh.close();
  await new Promise((resolve) => server.close(resolve));
});

const events = () => received.map((r) => ({ event: r.headers['x-github-event'] as string, payload: JSON.parse(r.body) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any
const named = (event: string, action?: string) => events().filter((e) => e.event === event && (action === undefined || e.payload.action === action));

async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function pushTag(name: string): Promise<number> {
  await standInOctokit(gh).rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: `refs/tags/${name}`, sha: gh.headOf('main')! });
  return gh.runs()[0]!.id;
}

describe('the GitHub stand-in sends signed webhooks like GitHub', () => {
  it('signs every delivery so that @octokit/webhooks verifies it, with GitHub’s headers; another secret does not verify', async () => {
    await pushTag('v1.1.0');
    await until('the push, the run requested and its first job', () => named('push').length > 0 && named('workflow_run', 'requested').length > 0 && named('workflow_job').length > 0);
    const verifier = new Webhooks({ secret: SECRET });
    const forger = new Webhooks({ secret: 'not the secret' });
    const seen: string[] = [];
    verifier.onAny(({ name }) => void seen.push(name));
    for (const { headers, body } of received) {
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
      const signature = headers['x-hub-signature-256'] as string;
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(await verifier.verify(body, signature)).toBe(true);
      expect(await forger.verify(body, signature)).toBe(false);
      await verifier.verifyAndReceive({ id: headers['x-github-delivery'] as string, name: headers['x-github-event'] as 'push', payload: body, signature });
    }
    expect(new Set(seen)).toEqual(new Set(['push', 'workflow_run', 'workflow_job']));
    // The tag that existed before the hook was added is not announced.
    expect(named('push').map((e) => e.payload.ref)).toEqual(['refs/tags/v1.1.0']);
  });

  it('follows a run from requested to completed: workflow_run, workflow_job, the review requested and given in GitHub’s UI', async () => {
    const runId = await pushTag('v1.1.0');
    const sha = gh.headOf('main');
    const push = (await until('the push', () => named('push')[0])).payload;
    expect(push).toMatchObject({ ref: 'refs/tags/v1.1.0', after: sha, created: true, deleted: false, repository: { full_name: gh.fullName } });

    const requested = (await until('run requested', () => named('workflow_run', 'requested')[0])).payload;
    expect(requested.workflow_run).toMatchObject({ id: runId, head_branch: 'v1.1.0', head_sha: sha, path: '.github/workflows/deploy-production.yml', run_attempt: 1 });
    expect(requested.repository.full_name).toBe(gh.fullName);
    expect(requested.workflow.path).toBe('.github/workflows/deploy-production.yml');

    now += 500;
    await until('run in progress', () => named('workflow_run', 'in_progress').length > 0);
    const started = (await until('build in progress', () => named('workflow_job', 'in_progress').find((e) => e.payload.workflow_job.name === 'build'))).payload;
    expect(started.workflow_job).toMatchObject({ run_id: runId, head_sha: sha, head_branch: 'v1.1.0', status: 'in_progress', conclusion: null });

    now += 1_000;
    const waiting = (await until('deploy waits', () => named('workflow_job', 'waiting')[0])).payload;
    expect(waiting.workflow_job).toMatchObject({ run_id: runId, name: 'deploy', status: 'waiting' });
    const review = (await until('review requested', () => named('deployment_review', 'requested')[0])).payload;
    expect(review).toMatchObject({ environment: 'production', workflow_run: { id: runId, head_sha: sha, path: '.github/workflows/deploy-production.yml' } });
    expect(review.reviewers[0].reviewer.login).toBe('octocat');

    gh.reviewAs(runId, 'octocat', 'approved', 'ship it');
    const approved = (await until('review approved', () => named('deployment_review', 'approved')[0])).payload;
    expect(approved).toMatchObject({ approver: { login: 'octocat' }, comment: 'ship it', workflow_run: { id: runId }, repository: { full_name: gh.fullName } });

    now += 1_000;
    const completed = (await until('run completed', () => named('workflow_run', 'completed')[0])).payload;
    expect(completed.workflow_run).toMatchObject({ id: runId, status: 'completed', conclusion: 'success' });
    expect(named('workflow_job', 'completed').map((e) => e.payload.workflow_job.name).sort()).toEqual(['build', 'deploy']);
    // Each state once: nothing is announced twice while nothing changes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(named('workflow_run', 'completed')).toHaveLength(1);
  });

  it('announces a merged pull request as pull_request closed with merged true', async () => {
    const octokit = standInOctokit(gh);
    const repo = { owner: gh.owner, repo: gh.repo };
    gh.createBranch('fix-receipts');
    gh.commit('fix-receipts', 'fix: rounding in receipts', { 'receipts.ts': 'round()' });
    const { data: pull } = await octokit.rest.pulls.create({ ...repo, title: 'fix: rounding in receipts', head: 'fix-receipts', base: 'main' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(named('pull_request')).toHaveLength(0);
    await octokit.rest.pulls.merge({ ...repo, pull_number: pull.number });
    const merged = (await until('the merge', () => named('pull_request')[0])).payload;
    expect(merged).toMatchObject({ action: 'closed', number: pull.number, pull_request: { number: pull.number, merged: true, base: { ref: 'main' } }, repository: { full_name: gh.fullName } });
  });

  it('drops, delays and redelivers deliveries', async () => {
    hook.dropWebhooks(1);
    hook.dropWebhooks((d) => d.event === 'workflow_job');
    await pushTag('v1.1.0');
    await until('the run requested', () => named('workflow_run', 'requested').length > 0);
    now += 500;
    await until('the run in progress', () => named('workflow_run', 'in_progress').length > 0);
    await hook.settled();
    // The first delivery (the push) was dropped, and every job event.
    const dropped = hook.deliveries.filter((d) => d.dropped);
    expect(dropped.filter((d) => d.event !== 'workflow_job').map((d) => d.event)).toEqual(['push']);
    expect(named('push')).toHaveLength(0);
    expect(dropped.some((d) => d.event === 'workflow_job')).toBe(true);
    expect(named('workflow_job')).toHaveLength(0);
    expect(received).toHaveLength(hook.deliveries.filter((d) => !d.dropped).length);

    hook.dropWebhooks(0);
    hook.delayWebhooks(300);
    const before = received.length;
    gh.addTag('v1.1.1');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received).toHaveLength(before);
    await until('the delayed push', () => received.length > before);
    hook.delayWebhooks(0);

    const first = hook.deliveries.find((d) => !d.dropped && d.status === 202)!;
    expect(await hook.redeliver(first.id)).toBe(202);
    const copies = received.filter((r) => r.headers['x-github-delivery'] === first.id);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.body).toBe(copies[0]!.body);
    expect(copies[1]!.headers['x-hub-signature-256']).toBe(copies[0]!.headers['x-hub-signature-256']);
  });
});
