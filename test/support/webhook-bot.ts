import { pino } from 'pino';
import { startTminus } from '../../src/app.js';
import { loadPolicy } from '../../src/domain/policy.js';
import { openDatabase } from '../../src/integrations/database/client.js';
import { createReleaseRepository } from '../../src/integrations/github.js';
import { GitHubWebhooks } from '../../src/sandbox/github.js';
import { createObservability } from '../../src/integrations/datadog.js';
import { BOT_TOKEN, botOf, DD_API_KEY, DD_APP_KEY, RELEASES_CHANNEL, SIGNING_SECRET, withTestTimings, type Bot, type World } from './harness.js';

/** tminus with its GitHub webhook on, and the GitHub stand-in's repository hook pointed at it; Datadog as startBot's. */
export async function startWebhookBot(world: World, policyYaml: string, secret: string, options: { githubUrl?: string } = {}): Promise<Bot & { hook: GitHubWebhooks; webhookUrl: string }> {
  const policy = loadPolicy(withTestTimings(policyYaml), 'test policy');
  const database = await openDatabase({ url: world.databaseUrl, dataDir: '' });
  const tminus = await startTminus({
    port: 0,
    slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, apiUrl: world.slack.apiUrl, releasesChannel: RELEASES_CHANNEL },
    github: createReleaseRepository({ token: world.github.token, apiUrl: options.githubUrl ?? world.github.url, owner: world.github.owner, repo: world.github.repo, throttle: false }),
    githubWebhookSecret: secret,
    observability: createObservability({ apiKey: DD_API_KEY, appKey: DD_APP_KEY, site: 'datadoghq.com', apiUrl: world.datadog.url, timeoutMs: 2_000 }),
    database,
    redisUrl: world.redisUrl,
    queuePrefix: world.queuePrefix,
    policy,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  const bot = botOf(tminus, database, policy);
  const webhookUrl = `${bot.baseUrl}/github/webhook`;
  const hook = new GitHubWebhooks(world.github, { url: webhookUrl, secret, tickMs: 10 });
  return {
    ...bot,
    hook,
    webhookUrl,
    stop: async () => {
      await hook.stop();
      await bot.stop();
    },
  };
}
