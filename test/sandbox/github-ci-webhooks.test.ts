import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components } from '@octokit/openapi-webhooks-types';
import { Webhooks } from '@octokit/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubStandIn, GitHubWebhooks } from '../../src/sandbox/github.js';
import { standInOctokit } from './octokit.js';

const SECRET = 'ci-webhooks-secret';
type S = components['schemas'];
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T] & string;
/** The keys GitHub's webhook type requires, listed: the compiler refuses a list that misses one or names one it does not have. */
const requiredKeys =
  <T>() =>
  <const L extends readonly RequiredKeys<T>[]>(list: L & (Exclude<RequiredKeys<T>, L[number]> extends never ? unknown : { missing: Exclude<RequiredKeys<T>, L[number]> })) =>
    list;

const CHECK_RUN = requiredKeys<S['webhook-check-run-completed']>()(['action', 'check_run', 'repository', 'sender']);
const CHECK_RUN_RUN = requiredKeys<S['check-run-with-simple-check-suite']>()([
  'app', 'check_suite', 'completed_at', 'conclusion', 'details_url', 'external_id', 'head_sha', 'html_url', 'id', 'name', 'node_id', 'output',
  'pull_requests', 'started_at', 'status', 'url',
]);
const CHECK_SUITE = requiredKeys<S['webhook-check-suite-completed']>()(['action', 'check_suite', 'repository', 'sender']);
const CHECK_SUITE_SUITE = requiredKeys<S['webhook-check-suite-completed']['check_suite']>()([
  'after', 'app', 'before', 'check_runs_url', 'conclusion', 'created_at', 'head_branch', 'head_commit', 'head_sha', 'id', 'latest_check_runs_count',
  'node_id', 'pull_requests', 'status', 'updated_at', 'url',
]);
const STATUS = requiredKeys<S['webhook-status']>()([
  'branches', 'commit', 'context', 'created_at', 'description', 'id', 'name', 'repository', 'sender', 'sha', 'state', 'target_url', 'updated_at',
]);
const PROTECTION_RULE = requiredKeys<S['webhook-deployment-protection-rule-requested']>()(['action', 'repository', 'sender']);
/** Optional in the type, always sent by GitHub, and what tminus reads. */
const PROTECTION_RULE_SENT = ['environment', 'event', 'deployment_callback_url', 'deployment', 'pull_requests', 'installation'] as const;

let now = Date.parse('2026-11-20T10:00:00.000Z');
let gh: GitHubStandIn;
let hook: GitHubWebhooks;
let server: Server;
let received: { event: string; body: string; signature: string }[];

beforeEach(async () => {
  now = Date.parse('2026-11-20T10:00:00.000Z');
  received = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ event: req.headers['x-github-event'] as string, body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-hub-signature-256'] as string });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gh = await GitHubStandIn.start({ clock: () => now, runListingDelayMs: 3_000 });
  gh.defineWorkflow('deploy-production.yml', { trigger: 'tag', jobs: [{ name: 'build', durationMs: 1000 }, { name: 'deploy', environment: 'production', durationMs: 1000 }] });
  gh.defineWorkflow('lint.yml', { trigger: 'tag', jobs: [{ name: 'lint', durationMs: 500 }] });
  gh.defineWorkflow('ci.yml', { trigger: ['tag'], jobs: [{ name: 'test', durationMs: 800 }] });
  gh.protectEnvironment('production', ['octocat']);
  hook = new GitHubWebhooks(gh, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret: SECRET, tickMs: 5 });
});

afterEach(async () => {
  await hook.stop();
  await gh.close();
  await new Promise((resolve) => server.close(resolve));
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const named = (event: string) => received.filter((r) => r.event === event).map((r) => JSON.parse(r.body) as Record<string, any>);

async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const hasKeys = (payload: Record<string, unknown>, keys: readonly string[]) => expect(keys.filter((k) => !(k in payload))).toEqual([]);

describe('the GitHub stand-in with several workflows on tag pushes', () => {
  it('starts a run of each; GitHub names each run’s workflow, event, tag and commit, lists them late, and its job deliveries carry no path', async () => {
    const octokit = standInOctokit(gh);
    const sha = gh.headOf('main')!;
    await octokit.rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: 'refs/tags/v1.1.0', sha });
    const runs = gh.runs();
    expect(runs.map((r) => r.path).sort()).toEqual(['.github/workflows/ci.yml', '.github/workflows/deploy-production.yml', '.github/workflows/lint.yml']);
    for (const run of runs) {
      const { data } = await octokit.rest.actions.getWorkflowRun({ owner: gh.owner, repo: gh.repo, run_id: run.id });
      expect(data).toMatchObject({ path: run.path, event: 'push', head_branch: 'v1.1.0', head_sha: sha });
    }
    const listed = () => octokit.rest.actions.listWorkflowRuns({ owner: gh.owner, repo: gh.repo, workflow_id: 'lint.yml', event: 'push', head_sha: sha });
    expect((await listed()).data.workflow_runs).toEqual([]);
    now += 3_000;
    expect((await listed()).data.workflow_runs.map((r) => r.path)).toEqual(['.github/workflows/lint.yml']);
    const jobs = await until('a job delivery of every run', () => {
      const all = named('workflow_job');
      return runs.every((r) => all.some((j) => j.workflow_job.run_id === r.id)) && all;
    });
    for (const job of jobs) {
      expect(job.workflow_job).not.toHaveProperty('path');
      expect(job.workflow_job).toMatchObject({ head_branch: 'v1.1.0', head_sha: sha });
    }
  });

  it('announces a run waiting at an environment with an app’s protection rule: deployment_protection_rule, its run only in the callback URL', async () => {
    hook.addProtectionRule('production');
    const sha = gh.headOf('main')!;
    await standInOctokit(gh).rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: 'refs/tags/v1.1.0', sha });
    const deploy = gh.runs().find((r) => r.path.endsWith('/deploy-production.yml'))!;
    now += 1_500;
    const [rule] = await until('the protection rule delivery', () => named('deployment_protection_rule').length > 0 && named('deployment_protection_rule'));
    hasKeys(rule!, [...PROTECTION_RULE, ...PROTECTION_RULE_SENT]);
    expect(rule).toMatchObject({ action: 'requested', environment: 'production', event: 'push', deployment: { sha, ref: 'v1.1.0', environment: 'production' } });
    expect(rule!.deployment_callback_url).toBe(`${gh.url}/repos/${gh.fullName}/actions/runs/${deploy.id}/deployment_protection_rule`);
    expect(JSON.stringify(rule)).not.toContain('deploy-production.yml');
  });
});

describe('the GitHub stand-in’s CI webhooks', () => {
  it('sends check_run and check_suite completed when CI finishes, and status when a context changes, in GitHub’s shapes, signed', async () => {
    gh.runCiOnEveryCommit([{ name: 'test', status: 'in_progress', conclusion: null }]);
    const head = gh.commit('main', 'feat: receipts (#17)');
    gh.setCommitStatus(head, 'ci/lint', 'pending');
    await until('the pending status', () => named('status').length === 1);
    expect(named('check_run')).toEqual([]);
    gh.setCheckRuns(head, [{ name: 'test' }, { name: 'e2e', conclusion: 'failure' }]);
    const runs = await until('both check runs', () => named('check_run').length === 2 && named('check_run'));
    for (const run of runs) {
      hasKeys(run, CHECK_RUN);
      hasKeys(run.check_run, CHECK_RUN_RUN);
      expect(run.check_run).toMatchObject({ head_sha: head, status: 'completed', check_suite: { head_sha: head, head_branch: 'main' } });
    }
    expect(runs.map((r) => [r.check_run.name, r.check_run.conclusion])).toEqual([['test', 'success'], ['e2e', 'failure']]);
    const [suite] = await until('the check suite', () => named('check_suite').length === 1 && named('check_suite'));
    hasKeys(suite!, CHECK_SUITE);
    hasKeys(suite!.check_suite, CHECK_SUITE_SUITE);
    expect(suite!.check_suite).toMatchObject({ head_sha: head, head_branch: 'main', status: 'completed', conclusion: 'failure', latest_check_runs_count: 2 });

    gh.setCommitStatus(head, 'ci/lint', 'success');
    const statuses = await until('the status', () => named('status').length === 2 && named('status'));
    for (const status of statuses) hasKeys(status, STATUS);
    expect(statuses[1]).toMatchObject({ sha: head, context: 'ci/lint', state: 'success', name: gh.fullName, branches: [{ name: 'main', commit: { sha: head } }] });

    const verifier = new Webhooks({ secret: SECRET });
    for (const r of received) expect(await verifier.verify(r.body, r.signature)).toBe(true);
    // Nothing changed: nothing more is sent.
    const count = received.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(count);
  });
});
