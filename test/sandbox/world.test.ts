import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import type { StoredMessage } from '../../src/sandbox/slack.js';
import { visibleText, waitFor } from '../support/harness.js';
import { approveWhatIsAsked as approveWhatIsAskedOn, postJson, startTestSandbox, type TestSandbox } from './start-test-sandbox.js';

describe('SandboxClock', () => {
  const at = (speed: number, anchor = 1_000_000) => {
    let real = 50;
    const clock = new SandboxClock({ speed, anchor, realNow: () => real });
    return { clock, advance: (ms: number) => (real += ms) };
  };

  it.each([
    { speed: 1, realMs: 1_000, virtualMs: 1_000 },
    { speed: 60, realMs: 1_000, virtualMs: 60_000 },
    { speed: 600, realMs: 9_000, virtualMs: 90 * 60_000 },
    { speed: 1200, realMs: 4_500, virtualMs: 90 * 60_000 },
  ])('at $speed×, $realMs real ms are $virtualMs virtual ms', ({ speed, realMs, virtualMs }) => {
    const { clock, advance } = at(speed);
    expect(clock.now()).toBe(1_000_000);
    advance(realMs);
    expect(clock.now()).toBe(1_000_000 + virtualMs);
  });

  it('re-anchors when the speed changes, so virtual time goes on from where it was', () => {
    const { clock, advance } = at(60);
    advance(1_000);
    clock.setSpeed(600);
    expect(clock.now()).toBe(1_060_000);
    advance(1_000);
    expect(clock.now()).toBe(1_660_000);
    clock.setSpeed(1);
    advance(1_000);
    expect(clock.now()).toBe(1_661_000);
    expect(clock.speed).toBe(1);
  });

  it.each([0, -5, 3601, Number.NaN])('refuses a speed of %s', (speed) => {
    expect(() => new SandboxClock({ speed })).toThrow(/clock speed must be from 1 to 3600/);
    expect(() => at(60).clock.setSpeed(speed)).toThrow(RangeError);
  });

  it('starts at the real time unless given an anchor', () => {
    const clock = new SandboxClock({ speed: 60, realNow: () => 42 });
    expect(clock.now()).toBe(42);
  });
});

// Once as the tests' machine has it (Redis, Postgres), once as a machine with only Node.js (no Redis, embedded PGlite).
describe.each([{ queues: 'Redis', redis: true }, { queues: 'the embedded database, no Redis', redis: false }])('the sandbox, job queues on $queues', ({ redis }) => {
  let world: TestSandbox;

  beforeAll(async () => {
    world = await startTestSandbox({ speed: 1200, redis });
    expect(world.sandbox.tminus.queueBackend).toBe(redis ? 'redis' : 'pglite');
    await waitFor('the tags to be read from GitHub', () => world.sandbox.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await world?.close();
  });

  const state = async () => (await (await fetch(`${world.base}/sandbox/state`)).json()) as {
    speed: number;
    people: { id: string; role: string }[];
    messages: StoredMessage[];
    ephemerals: { user: string; text: string }[];
    github: { tags: { name: string }[]; commits: { message: string }[]; releases: { tag: string }[]; runs: { id: number; headBranch: string; status: string }[] };
  };

  const approveWhatIsAsked = (messages: StoredMessage[], clicked: Set<string>) => approveWhatIsAskedOn(world.base, messages, clicked);

  /** Waits for a reply in the release's thread, approving whatever tminus asks to be approved. */
  async function waitForReply(version: string, pattern: RegExp) {
    const clicked = new Set<string>();
    return waitFor(`a reply matching ${pattern} in the ${version} thread`, async () => {
      const { messages } = await state();
      await approveWhatIsAsked(messages, clicked);
      const top = messages.find((m) => !m.threadTs && m.text.includes(`Release ${version} `));
      return top && messages.find((m) => m.threadTs === top.ts && pattern.test(m.text));
    }, 45_000);
  }

  it('answers only at its own address: a page reached under another name (DNS rebinding) is refused', async () => {
    const { request } = await import('node:http');
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${world.base}/sandbox/state`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const port = new URL(world.base).port;
    expect(await get(`evil.example:${port}`)).toBe(403);
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
  });

  it('serves the #releases page and its modules, and nothing else from disk', async () => {
    const page = await fetch(`${world.base}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/sandbox/assets/app.js');
    const script = await fetch(`${world.base}/sandbox/assets/blocks.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${world.base}/sandbox/assets/routes.ts`)).status).toBe(404);
    expect((await fetch(`${world.base}/sandbox/assets/..%2Fstart-sandbox.ts`)).status).toBe(404);
  });

  it('starts with the guide’s people and a repository with merged work since v1.2.0', async () => {
    const s = await state();
    expect(s.people.map((p) => p.role)).toEqual(['Engineer', 'Engineering lead', 'VP Eng', 'CTO', 'DevOps lead', 'QA lead', 'On-call']);
    expect(s.github.tags.map((t) => t.name)).toEqual(['v1.2.0']);
    expect(s.github.commits[0]?.message).toMatch(/^(feat|fix|perf|docs): /);
  });

  it('runs a release typed as a slash command through tminus’s /slack/events, at 1200×', async () => {
    const answer = await postJson(`${world.base}/sandbox/slack/command`, { userId: 'U0ENG', text: '/release start v1.3.0' });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe(200);
    expect(visibleText(answer.body.body as { text: string; blocks: unknown[] })).toContain('Starting minor release v1.3.0');
    expect((await state()).ephemerals.some((e) => e.user === 'U0ENG' && e.text.includes('Starting minor release v1.3.0'))).toBe(true);

    const completed = await waitForReply('v1.3.0', /COMPLETED/);
    expect(visibleText(completed)).toContain('Admin portal search');
    // The top message is the same one, edited in place into the finished progress view (just after the reply).
    const top = await waitFor('the top message to say it completed', async () =>
      (await state()).messages.find((m) => !m.threadTs && visibleText(m).includes('Release v1.3.0 completed')));
    expect(top.edited).toBeDefined();
    expect(top.ts).toBe(completed.threadTs);
    const s = await state();
    expect(s.messages.filter((m) => m.threadTs === top.ts && /T\+\d+/.test(m.text)).length).toBeGreaterThanOrEqual(2);
    expect(s.github.releases.map((r) => r.tag)).toContain('v1.3.0');
  });

  it('takes only JSON, so that another web site cannot drive the sandbox', async () => {
    const res = await fetch(`${world.base}/sandbox/github/merge`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ title: 'feat: sneaky' }) });
    expect(res.status).toBe(400);
    expect((await state()).github.commits.some((c) => c.message.includes('sneaky'))).toBe(false);
  });

  it('answers an unknown command as Slack would, without bothering tminus', async () => {
    const answer = await postJson(`${world.base}/sandbox/slack/command`, { userId: 'U0ENG', text: '/deploy now' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('/deploy is not a valid command');
  });

  it('merges a pull request, and a job failed from the panel fails the next release', async () => {
    const merged = await postJson(`${world.base}/sandbox/github/merge`, { title: 'fix: receipts in the wrong currency' });
    expect(merged.status).toBe(200);
    // Squash-merged, as GitHub titles it: the pull request's number after its title.
    expect((await state()).github.commits[0]?.message).toBe(`fix: receipts in the wrong currency (#${merged.body.number})`);

    await postJson(`${world.base}/sandbox/slack/command`, { userId: 'U0ENG', text: '/release start v1.3.1' });
    const clicked = new Set<string>();
    const run = await waitFor('the v1.3.1 deploy run', async () => {
      const s = await state();
      await approveWhatIsAsked(s.messages, clicked);
      return s.github.runs.find((r) => r.headBranch === 'v1.3.1');
    });
    const failed = await postJson(`${world.base}/sandbox/github/fail-job`, { runId: run.id, job: 'deploy-staging' });
    expect(failed.status).toBe(200);
    const notice = await waitForReply('v1.3.1', /FAILED/);
    expect(visibleText(notice)).toContain('deploy-staging');
    expect(visibleText(notice)).toContain('Production was not touched');
    expect((await postJson(`${world.base}/sandbox/github/cancel-run`, { runId: run.id })).status).toBe(400);
  });

  it('changes the clock speed at run time and refuses speeds it cannot run', async () => {
    const before = world.sandbox.clock.now();
    const changed = await postJson(`${world.base}/sandbox/clock`, { speed: 60 });
    expect(changed.body.speed).toBe(60);
    expect(Number(changed.body.now)).toBeGreaterThanOrEqual(before);
    expect((await state()).speed).toBe(60);
    const refused = await postJson(`${world.base}/sandbox/clock`, { speed: 5000 });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('from 1 to 3600');
  });
});
