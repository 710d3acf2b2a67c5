import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, v1 } from '@datadog/datadog-api-client';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/domain/policy.js';
import { DatadogStandIn } from '../../src/sandbox/datadog.js';
import { GitHubStandIn, GitHubWebhooks } from '../../src/sandbox/github.js';
import { SandboxMetrics } from '../../src/sandbox/metrics.js';
import { SlackStandIn } from '../../src/sandbox/slack.js';
import { StatuspageStandIn } from '../../src/sandbox/statuspage.js';
import { WORLD_FILE, WorldStore, readWorld, throughFile, type World } from '../../src/sandbox/world-store.js';
import { waitFor } from '../support/harness.js';
import { standInOctokit } from './octokit.js';

/** Each stand-in's snapshot, written and read back as world.json holds it, restored into a new stand-in: the same world. */

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MINUTE = 60_000;
let now = T0;
const clock = () => now;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  // A stand-in a test closed itself (to restart it) is closed already.
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  now = T0;
});
function later<T extends { close(): Promise<unknown> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

describe('the Slack stand-in across a restart', () => {
  const options = { signingSecret: 's', botToken: 'xoxb-1', clock, users: [{ id: 'U0ENG', name: 'erin' }] };

  it('keeps channel messages, threads and edits with their ts; tminus edits the same message and new ts come later', async () => {
    const before = later(await SlackStandIn.start(options));
    const web = new WebClient('xoxb-1', { slackApiUrl: before.apiUrl, retryConfig: { retries: 0 } });
    const top = await web.chat.postMessage({ channel: 'C0RELEASES', text: 'Release v1.3.0 started', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*v1.3.0*' } }] });
    now += MINUTE;
    await web.chat.postMessage({ channel: 'C0RELEASES', thread_ts: top.ts!, text: 'T+10' });
    await web.chat.update({ channel: 'C0RELEASES', ts: top.ts!, text: 'Release v1.3.0 in progress' });
    // A direct message (to a user id) opens the conversation with them.
    const dm = await web.chat.postMessage({ channel: 'U0ENG', text: 'your Home click' });
    const kept = throughFile(before.snapshot());
    await before.close();

    now += MINUTE;
    const after = later(await SlackStandIn.start(options));
    after.restore(kept);
    expect(after.messages()).toEqual(before.messages());
    const again = new WebClient('xoxb-1', { slackApiUrl: after.apiUrl, retryConfig: { retries: 0 } });
    const history = await again.conversations.history({ channel: 'C0RELEASES' });
    expect(history.messages?.map((m) => [m.ts, m.text])).toEqual([[top.ts, 'Release v1.3.0 in progress']]);
    const replies = await again.conversations.replies({ channel: 'C0RELEASES', ts: top.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['Release v1.3.0 in progress', 'T+10']);
    await again.chat.update({ channel: 'C0RELEASES', ts: top.ts!, text: 'Release v1.3.0 completed' });
    expect(after.topLevel('C0RELEASES').map((m) => [m.ts, m.text, m.history.length])).toEqual([[top.ts, 'Release v1.3.0 completed', 2]]);
    const next = await again.chat.postMessage({ channel: 'C0RELEASES', thread_ts: top.ts!, text: 'T+20' });
    expect(Number(next.ts)).toBeGreaterThan(Math.max(...after.messages().filter((m) => m.ts !== next.ts).map((m) => Number(m.edited?.ts ?? m.ts))));
    expect(after.thread('C0RELEASES', top.ts!).map((m) => m.text)).toEqual(['T+10', 'T+20']);
    expect(after.messages(dm.channel!).map((m) => m.text)).toEqual(['your Home click']);
  });
});

describe('the GitHub stand-in across a restart', () => {
  const WORKFLOW = { trigger: 'tag' as const, jobs: [{ name: 'build', durationMs: 10 * MINUTE }, { name: 'deploy', environment: 'production', durationMs: 10 * MINUTE }] };
  async function repository() {
    const gh = later(await GitHubStandIn.start({ clock, runListingDelayMs: 0 }));
    gh.defineWorkflow('deploy.yml', WORKFLOW);
    gh.protectEnvironment('production', ['tminus-bot']);
    gh.runCiOnEveryCommit([{ name: 'ci' }]);
    return gh;
  }

  it('keeps commits, tags, releases, pull requests and a run in progress, which goes on from where it was', async () => {
    const before = await repository();
    before.commit('main', 'feat: wallet top-ups (#101)');
    before.addRelease('v1.2.0');
    before.mergePullRequest({ title: 'feat: admin portal search', author: 'erin' });
    const octokit = standInOctokit(before);
    const head = before.headOf('main')!;
    await octokit.rest.git.createRef({ owner: before.owner, repo: before.repo, ref: 'refs/tags/v1.3.0', sha: head });
    now += 5 * MINUTE;
    const kept = throughFile(before.snapshot());
    const seen = { log: before.log(), tags: before.tags(), releases: before.releases(), pulls: before.pulls(), runs: before.runs(), tree: before.treeOf('main') };
    await before.close();

    // On the port it had, as the sandbox restarts it: the links in kept messages and payloads still open.
    const after = await GitHubStandIn.start({ clock, runListingDelayMs: 0, token: before.token, port: Number(new URL(before.url).port) });
    later(after).restore(kept);
    // As start-sandbox does after a restore: the workflows and the gate defined again, over the kept ones.
    after.defineWorkflow('deploy.yml', WORKFLOW);
    after.protectEnvironment('production', ['tminus-bot']);
    expect({ log: after.log(), tags: after.tags(), releases: after.releases(), pulls: after.pulls(), runs: after.runs(), tree: after.treeOf('main') }).toEqual(seen);
    const api = standInOctokit(after);
    const [run] = (await api.rest.actions.listWorkflowRunsForRepo({ owner: after.owner, repo: after.repo })).data.workflow_runs;
    expect(run).toMatchObject({ id: seen.runs[0]!.id, status: 'in_progress', head_sha: head, run_number: 1 });

    now += 10 * MINUTE;
    const pending = await api.rest.actions.getPendingDeploymentsForRun({ owner: after.owner, repo: after.repo, run_id: run!.id });
    expect(pending.data.map((p) => p.environment.name)).toEqual(['production']);
    await api.rest.actions.reviewPendingDeploymentsForRun({ owner: after.owner, repo: after.repo, run_id: run!.id, environment_ids: [pending.data[0]!.environment.id!], state: 'approved', comment: 'ok' });
    now += 11 * MINUTE;
    expect((await api.rest.actions.getWorkflowRun({ owner: after.owner, repo: after.repo, run_id: run!.id })).data).toMatchObject({ status: 'completed', conclusion: 'success' });
    // New objects get new numbers: the next commit, pull request and run do not reuse a kept one.
    const merged = after.mergePullRequest({ title: 'fix: rounding in wallet receipts' });
    expect(merged.number).toBeGreaterThan(Math.max(...seen.pulls.map((p) => p.number)));
    await api.rest.git.createRef({ owner: after.owner, repo: after.repo, ref: 'refs/tags/v1.3.1', sha: merged.sha });
    expect(after.runs().map((r) => r.run_number)).toEqual([2, 1]);
    expect(new Set(after.log().map((c) => c.sha)).size).toBe(after.log().length);
  });

  it("the webhook announces what changed since the last hook's look, and nothing twice", async () => {
    const received: { event: string; action?: string }[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ event: String(req.headers['x-github-event']), action: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { action?: string }).action });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const gh = await repository();
    const first = new GitHubWebhooks(gh, { url, secret: 'x', tickMs: 5 });
    gh.addTag('v1.0.0');
    await standInOctokit(gh).rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: 'refs/tags/v1.1.0', sha: gh.headOf('main')! });
    await waitFor('the run requested', () => received.some((r) => r.event === 'workflow_run' && r.action === 'requested'));
    await first.stop();
    const announced = throughFile(first.snapshot());
    const count = received.length;

    // The sandbox was down; when it is back the build has finished (the clock went on while it restarted).
    now += 10 * MINUTE + 1;
    const second = new GitHubWebhooks(gh, { url, secret: 'x', tickMs: 5, announced });
    closers.push(() => second.stop());
    await waitFor('the build job completed', () => received.slice(count).some((r) => r.event === 'workflow_job' && r.action === 'completed'));
    await second.settled();
    const since = received.slice(count);
    expect(since.filter((r) => r.event === 'push' || (r.event === 'workflow_run' && r.action === 'requested'))).toEqual([]);
    expect(since).toContainEqual({ event: 'deployment_review', action: 'requested' });
  });
});

describe('the Datadog stand-in, the sandbox metrics and the status page across a restart', () => {
  const keys = { apiKey: 'dd-api', appKey: 'dd-app', clock };
  const configuration = (url: string) => client.createConfiguration({ authMethods: { apiKeyAuth: 'dd-api', appKeyAuth: 'dd-app' }, baseServer: new client.BaseServerConfiguration(url, {}), enableRetry: false });

  it('keeps Datadog events, DORA deployments and logs, and the event ids go on', async () => {
    const before = later(await DatadogStandIn.start(keys));
    const events = new v1.EventsApi(configuration(before.url));
    await events.createEvent({ body: { title: 'Release v1.3.0 started', text: 'by erin', tags: ['version:v1.3.0'] } });
    before.pushLogs([{ at: T0, service: 'shop', status: 'error', message: 'boom' }]);
    const kept = throughFile(before.snapshot());
    const after = later(await DatadogStandIn.start(keys));
    after.restore(kept);
    expect({ events: after.events(), logs: after.logs(), dora: after.doraDeployments() }).toEqual({ events: before.events(), logs: before.logs(), dora: before.doraDeployments() });
    const next = await new v1.EventsApi(configuration(after.url)).createEvent({ body: { title: 'Release v1.3.0 completed', text: 'done' } });
    expect(next.event?.id).toBeGreaterThan(before.events()[0]!.id);
  });

  it("keeps the page's metric changes: the readings after a restart are the readings before", async () => {
    const policy = loadPolicy('', 'test policy');
    const github = later(await GitHubStandIn.start({ clock }));
    const ddBefore = later(await DatadogStandIn.start(keys));
    const before = new SandboxMetrics({ datadog: ddBefore, github, clock, policy });
    before.apply('slowP99');
    now += 2 * MINUTE;
    const kept = throughFile(before.snapshot());
    const ddAfter = later(await DatadogStandIn.start(keys));
    const after = new SandboxMetrics({ datadog: ddAfter, github, clock, policy });
    expect(after.readings()).not.toEqual(before.readings());
    after.restore(kept);
    expect(after.readings()).toEqual(before.readings());
  });

  it('keeps incidents, maintenances and component statuses', async () => {
    const before = later(await StatuspageStandIn.start({ apiKey: 'sp', clock, components: [{ id: 'sbxapi000001', name: 'API' }] }));
    const res = await fetch(`${before.url}/pages/${before.pageId}/incidents`, {
      method: 'POST',
      headers: { authorization: 'OAuth sp', 'content-type': 'application/json' },
      body: JSON.stringify({ incident: { name: 'Elevated errors', status: 'investigating', body: 'Rolling back v1.3.0', components: { sbxapi000001: 'major_outage' }, component_ids: ['sbxapi000001'] } }),
    });
    expect(res.status).toBe(201);
    const kept = throughFile(before.snapshot());
    const after = later(await StatuspageStandIn.start({ apiKey: 'sp', clock, components: [{ id: 'sbxapi000001', name: 'API' }] }));
    after.restore(kept);
    expect(after.incidents()).toEqual(before.incidents());
    expect(after.components().map((c) => c.status)).toEqual(['major_outage']);
  });
});

describe('world.json', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tminus-world-'));
    dirs.push(dir);
    return dir;
  };
  const silent = pino({ level: 'silent' });

  it('is written whole after a change and at stop, and read back with its Maps, Sets and Infinity', async () => {
    const dir = dataDir();
    let virtualNow = T0;
    const world = { version: 1, virtualNow, protectedAt: Infinity, heads: new Map([['main', 'abc']]), tags: new Set(['v1.2.0']) };
    const store = new WorldStore(dir, () => ({ ...world, virtualNow }) as unknown as World, silent, 10);
    store.changed();
    await waitFor('the world written', () => readdirSync(dir).includes(WORLD_FILE));
    virtualNow += MINUTE;
    store.stop();
    expect(readdirSync(dir)).toEqual([WORLD_FILE]);
    const read = readWorld(dir);
    expect(read.kind).toBe('unreadable');
    expect(read.kind === 'unreadable' && read.reason).toMatch(/lacks slack, github, webhooks, datadog, metrics, statuspage/);
    expect(throughFile(world)).toEqual(world);
    expect(JSON.parse(readFileSync(join(dir, WORLD_FILE), 'utf8'))).toMatchObject({ virtualNow: T0 + MINUTE, protectedAt: { $number: 'Infinity' } });
  });

  it('says why it cannot be read: not JSON, another version', () => {
    const dir = dataDir();
    expect(readWorld(dir)).toEqual({ kind: 'none' });
    writeFileSync(join(dir, WORLD_FILE), '{"version": 1, "slack": {');
    expect(readWorld(dir)).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/world\.json: .*JSON/) });
    writeFileSync(join(dir, WORLD_FILE), JSON.stringify({ version: 99 }));
    expect(readWorld(dir)).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/is version 99, this sandbox reads version 1/) });
  });
});
