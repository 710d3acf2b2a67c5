import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkboxes, FAST_POLICY, RELEASES_CHANNEL, serveHealthyService, startBot, startWorld, waitFor, type Bot, type World } from '../support/harness.js';

/**
 * The rollback checklist's "Services responding (HTTP 200)" is ticked by tminus only when the policy's
 * `rollback.healthUrl` itself answers 200: a redirect (to a login page, to another host) is not followed.
 */
describe('the rollback health check', () => {
  let world: World;
  let bot: Bot;
  let health: Server;
  let elsewhere: Server;
  let healthAnswer: 'redirect' | 'ok' = 'redirect';
  const elsewhereHits: string[] = [];
  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    elsewhere = createServer((req, res) => {
      elsewhereHits.push(req.url ?? '');
      res.writeHead(200).end('ok');
    });
    const elsewhereUrl = await listen(elsewhere);
    health = createServer((_req, res) => {
      if (healthAnswer === 'redirect') res.writeHead(302, { location: `${elsewhereUrl}/login` }).end();
      else res.writeHead(200).end('ok');
    });
    const healthUrl = `${await listen(health)}/healthz`;
    world = await startWorld();
    world.github.defineWorkflow('rollback.yml', { trigger: 'dispatch', jobs: [{ name: 'rollback', steps: ['Start previous version'], durationMs: 500 }] });
    bot = await startBot(world, { policy: `${FAST_POLICY}\nroles:\n  onCall: { users: [U0ONCALL] }\nrollback: { pollInterval: 200ms, healthUrl: '${healthUrl}' }\n` });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
    health?.close();
    elsewhere?.close();
  });

  async function releaseAndRollBack(version: string, fix: string): Promise<string> {
    serveHealthyService(world.datadog);
    world.github.commit('main', fix);
    await world.slack.sendCommand(bot.eventsUrl, { text: `start ${version}`, userId: 'U0ENG' });
    await waitFor(`${version} to complete`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'completed'), 30_000);
    await world.slack.sendCommand(bot.eventsUrl, { text: `rollback ${version} checkout is broken`, userId: 'U0ONCALL' });
    await waitFor(`${version} rolled back`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'rolled_back'), 30_000);
    const top = world.slack.topLevel(RELEASES_CHANNEL).find((m) => m.text.includes(`Release ${version} `))!;
    const checklist = await waitFor('the checklist, ticked', () =>
      world.slack.thread(RELEASES_CHANNEL, top.ts).find((m) => m.text.startsWith('Rollback verification checklist') && checkboxes(m).some((l) => l.startsWith('☑ Team notified'))),
    );
    return checkboxes(checklist).join('\n');
  }

  it('a health URL that redirects is not ticked, and the redirect is not followed', async () => {
    const shown = await releaseAndRollBack('v1.3.0', 'fix: totals (#21)');
    expect(shown).toContain('☐ Services responding (HTTP 200)');
    expect(elsewhereHits).toEqual([]);
  }, 90_000);

  it('the same URL answering 200 itself is ticked', async () => {
    healthAnswer = 'ok';
    const shown = await releaseAndRollBack('v1.3.1', 'fix: search (#22)');
    expect(shown).toMatch(/☑ Services responding \(HTTP 200\) — tminus at /);
  }, 90_000);
});
