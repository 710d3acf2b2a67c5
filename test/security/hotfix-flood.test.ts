import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLICY, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

const ROLES = `
roles:
  onCall: { users: [U0ONCALL, U0ONCALL2] }
  vpEng: { users: [U0VP] }
`;

/** Two hotfixes raised at the same instant: Postgres lets one wait for approval, the other is refused. */
describe('a hotfix flood, raced', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    bot = await startBot(world, { policy: FAST_POLICY + ROLES });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  it('ten concurrent hotfix commands raise one; the others are told which one waits', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        world.slack.sendCommand(bot.eventsUrl, { text: `hotfix v1.2.${i + 1} checkout broken`, userId: i % 2 ? 'U0ONCALL' : 'U0ONCALL2' }).then((r) => visibleText(r.body as { text: string; blocks: unknown[] })),
      ),
    );
    expect(answers.filter((a) => a.includes(' raised. Detected at'))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('one hotfix waits for approval at a time'))).toHaveLength(9);
    const open = (await bot.tminus.store.open()).filter((r) => r.type === 'hotfix');
    expect(open).toHaveLength(1);
    await waitFor('its one 🚨 post', () => world.slack.topLevel(RELEASES_CHANNEL).filter((m) => m.text.startsWith('🚨 Hotfix')).length === 1);
  });
});
