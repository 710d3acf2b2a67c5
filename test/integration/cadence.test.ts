import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockFrom, RELEASES_CHANNEL, startBot, startWorld, visibleText, waitFor, type Bot, type World } from '../support/harness.js';

/** The guide's cadence, enforced; release day in seconds; patches without a gate, minors approved by leadership. */
const POLICY = `
statusUpdates: { interval: 2s }
deploy: { pollInterval: 200ms, runAppearTimeout: 4s }
releaseTypes:
  patch: { approvers: [] }
roles:
  engineeringLeadership: { users: [U0HEAD] }
`;

describe('the cadence calendar at /release start', () => {
  let world: World;
  let bot: Bot;

  beforeAll(async () => {
    world = await startWorld();
    // Wednesday 2 December 2026, 10:00 UTC: the day before an off-week Thursday.
    bot = await startBot(world, { policy: POLICY, clock: clockFrom('2026-12-02T10:00:00Z') });
    await waitFor('the tags to be read', () => bot.tminus.store.releasedVersions().then((v) => v.includes('v1.2.0')));
  });
  afterAll(async () => {
    await bot?.stop();
    await world?.close();
  });

  const say = async (text: string, userId = 'U0ENG') => visibleText((await world.slack.sendCommand(bot.eventsUrl, { text, userId })).body as { text: string; blocks: unknown[] });

  it('at most two patches a week: the third is refused with the next Monday', async () => {
    for (const version of ['v1.2.1', 'v1.2.2']) {
      expect(await say(`start ${version}`)).toContain(`Starting patch release ${version}`);
      await waitFor(`${version} to complete`, () => bot.tminus.store.findByVersion(version).then((r) => r?.state === 'completed'));
    }
    // One clock: the audit log is dated by tminus's clock (December 2), whatever the database server's or GitHub's says.
    const first = (await bot.tminus.store.findByVersion('v1.2.1'))!;
    const dates = new Set((await bot.tminus.store.events(first.id)).map((e) => e.at.toISOString().slice(0, 10)));
    expect([...dates]).toEqual(['2026-12-02']);
    expect(first.finishedAt!.toISOString().slice(0, 10)).toBe('2026-12-02');
    const third = await say('start v1.2.3');
    expect(third).toContain('At most 2 patch releases a week: the next allowed time is 2026-12-07 00:00 UTC');
    expect(await bot.tminus.store.findByVersion('v1.2.3')).toBeUndefined();
  });

  it('a minor release off its slot is refused with the next slot; only an approver may override, with a reason', async () => {
    const refused = await say('start v1.3.0');
    expect(refused).toContain('Minor releases go out every second Thursday at 14:00 UTC: the next allowed time is 2026-12-10 12:00 UTC');
    expect(refused).toContain('--override "<reason>"');
    expect(await say('start v1.3.0 --override "customer demo on Friday"')).toContain("You can't override the cadence for minor releases: it needs engineering leadership (`permissions.overrideCadence`).");
    expect(await say('start v1.3.0 --override', 'U0HEAD')).toContain('Say why with the override');
    expect(await say('start v1.3.0 --override “customer demo on Friday”', 'U0HEAD')).toContain('Starting minor release v1.3.0');
    const release = (await bot.tminus.store.findByVersion('v1.3.0'))!;
    const override = (await bot.tminus.store.events(release.id)).find((e) => e.action === 'cadence.overridden')!;
    expect(override.actor).toBe('U0HEAD');
    expect(override.details).toMatchObject({ reason: 'customer demo on Friday', rule: 'Minor releases go out every second Thursday at 14:00 UTC' });
  });

  it('/release schedule lists the coming slots', async () => {
    const schedule = await say('schedule');
    expect(schedule).toContain('Thu, 10 Dec 2026 14:00 UTC — *minor*: nothing planned yet');
    expect(schedule).toContain('Fri, 1 Jan 2027 06:00 UTC — *major*');
    expect(schedule).toContain('Patches: as needed, at most 2 a week.');
    expect(world.slack.topLevel(RELEASES_CHANNEL).some((m) => m.text.includes('v1.2.3'))).toBe(false);
  });
});
