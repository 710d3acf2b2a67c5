import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, RELEASES_CHANNEL, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * GitHub's error text enters tminus through one scrubbing path (domain/external-text.ts). A proxy between
 * tminus and GitHub that echoes the request (its Authorization header, a URL with the token in it, the token
 * alone) refuses the tag: the failure reaches #releases, `failure_reason` and the audit log, and none of them
 * holds the token; nor does anything tminus sent to GitHub afterwards.
 */
describe('a GitHub proxy that echoes the token', () => {
  let world: World;
  let bot: Bot;
  let proxy: Server;
  const sentToGitHub: string[] = [];

  beforeAll(async () => {
    world = await startWorld();
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (body) sentToGitHub.push(body);
        const token = String(req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
        if (req.method === 'POST' && /\/git\/refs$/.test(req.url ?? '')) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `proxy refused: Authorization: ${req.headers.authorization} via https://tminus:${token}@proxy.internal/git (${token}) Bearer ${token}` }));
          return;
        }
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
        fetch(`${world.github.url}${req.url}`, { method: req.method, headers, ...(body ? { body } : {}) }).then(
          async (upstream) => {
            const text = await upstream.text();
            res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
            res.end(text);
          },
          () => (res.writeHead(502), res.end()),
        );
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    bot = await startBot(world, { policy: FAST_POLICY, githubUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
    proxy?.close();
  });

  it('leaves no trace of the token in Slack, the database or GitHub', async () => {
    const token = world.github.token;
    expect(token.length).toBeGreaterThanOrEqual(4);
    const answer = await world.slack.sendCommand(bot.eventsUrl, { text: 'start v1.3.0', userId: 'U0ENG' });
    expect(answer.status).toBe(200);
    const failed = await waitFor('the release failed', async () => {
      const release = await bot.tminus.store.findByVersion('v1.3.0');
      return release?.state === 'failed' && release.failureReason ? release : undefined;
    }, 30_000);
    await waitFor('the failure in #releases', () => JSON.stringify(world.slack.calls).includes('GitHub answered 403'), 15_000);

    // The refusal is said, in GitHub's words, without the credential.
    expect(failed.failureReason).toContain('proxy refused');
    expect(failed.failureReason).toContain('[REDACTED]');
    const slack = JSON.stringify(world.slack.calls);
    expect(slack).toContain('proxy refused');
    expect(slack).not.toContain(token);
    const rows = await bot.database.db.execute(sql`select r.failure_reason, e.details from releases r left join release_events e on e.release_id = r.id`);
    const stored = JSON.stringify(rows);
    expect(stored).toContain('proxy refused');
    expect(stored).not.toContain(token);
    expect(sentToGitHub.join('\n')).not.toContain(token);
    expect(world.slack.topLevel(RELEASES_CHANNEL).length).toBeGreaterThan(0);
  }, 60_000);
});
