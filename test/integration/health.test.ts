import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, startWorld, type Bot, type World } from '../support/harness.js';

describe('/healthz', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world);
  });
  afterAll(async () => {
    await bot?.tminus.stop();
    await world?.close();
  });

  it('answers 200 while Postgres and Redis answer, and 503 naming Postgres once it is gone', async () => {
    const up = await fetch(`${bot.baseUrl}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });

    await bot.database.close();
    const down = await fetch(`${bot.baseUrl}/healthz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { ok: boolean; postgres: string; redis: string };
    expect(body.ok).toBe(false);
    expect(body.postgres).toBe('down');
    expect(body.redis).toBe('ok');
  });
});
