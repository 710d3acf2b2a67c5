import type { Policy } from '../../domain/policy.js';
import { COMMANDS } from '../../messages/help.js';
import { SPEED_CHOICES, type SandboxClock } from '../clock.js';
import type { DatadogStandIn } from '../datadog.js';
import type { SandboxPerson } from '../demo-world.js';
import type { GitHubStandIn } from '../github.js';
import type { SandboxMetrics } from '../metrics.js';
import type { SlackStandIn, StoredMessage } from '../slack.js';
import type { StatuspageStandIn } from '../statuspage.js';

/** Everything the #releases page shows, read from the stand-ins at one moment of virtual time. */

export interface PageWorld {
  slack: SlackStandIn;
  github: GitHubStandIn;
  datadog: DatadogStandIn;
  metrics: SandboxMetrics;
  clock: SandboxClock;
  policy: Policy;
  people: SandboxPerson[];
  channel: { id: string; name: string };
  /** The Statuspage stand-in tminus keeps up to date. */
  statuspage?: StatuspageStandIn;
  /** Set when the world kept in the data directory could not be read and the sandbox started afresh. */
  worldNotice?: string;
}

const RUNS_SHOWN = 5;
const COMMITS_SHOWN = 40;
const EVENTS_SHOWN = 8;

export function snapshot(world: PageWorld) {
  const { slack, github, clock, channel } = world;
  return {
    now: clock.now(),
    speed: clock.speed,
    speeds: [...SPEED_CHOICES],
    timeZone: world.policy.timezone,
    channel,
    bot: { id: slack.botUserId, name: 'tminus' },
    people: world.people.map(({ id, name, realName, role }) => ({ id, name, realName, role })),
    commands: COMMANDS,
    messages: slack.messages(channel.id).map(pageMessage),
    ephemerals: slack.ephemerals(),
    // Every person's Home tab as tminus last published it, and tminus's direct messages (answers to Home clicks).
    homes: slack.homes.all().map((home) => ({ user: home.user, view: home.view })),
    directMessages: slack.messages().filter((m) => m.channel.startsWith('D')).map(pageMessage),
    views: slack
      .views()
      .filter((v) => !v.closed)
      .map((v) => ({ id: v.id, user: v.user ?? null, view: v.view })),
    github: githubSnapshot(github, world.policy.deploy.workflow),
    datadog: datadogSnapshot(world),
    ...(world.statuspage ? { statusPage: statusPageSnapshot(world.statuspage) } : {}),
    ...(world.worldNotice ? { worldNotice: world.worldNotice } : {}),
  };
}

/**
 * A message as the page shows it: its files named, not linked. `url_private` answers only the bot's token,
 * which the page must never hold, so the page fetches a file's bytes from the sandbox's own route (routes.ts).
 */
function pageMessage(message: StoredMessage) {
  const { files, ...rest } = message;
  return files ? { ...rest, files: files.map(({ id, name, title, mimetype }) => ({ id, name, title, mimetype })) } : rest;
}

/** What the checks read now, and what tminus wrote to Datadog (newest first). */
function datadogSnapshot({ datadog, metrics }: PageWorld) {
  return {
    outage: metrics.outage,
    metrics: metrics.readings(),
    events: datadog
      .events()
      .reverse()
      .slice(0, EVENTS_SHOWN)
      .map((e) => ({ id: e.id, title: e.title, alertType: e.alertType, at: e.dateHappened * 1000, tags: e.tags })),
    deployments: datadog
      .doraDeployments()
      .reverse()
      .map((d) => ({ service: d.service, env: d.env ?? null, version: d.version ?? null, finishedAt: d.finishedAt })),
    failures: datadog
      .doraFailures()
      .reverse()
      .map((f) => ({ name: f.name ?? null, version: f.version ?? null, severity: f.severity ?? null, startedAt: f.startedAt, finishedAt: f.finishedAt ?? null })),
  };
}

/** The status page as its readers see it: components, then incidents and maintenances, newest first. */
function statusPageSnapshot(page: StatuspageStandIn) {
  return {
    outage: page.down,
    components: page.components().map((c) => ({ id: c.id, name: c.name, status: c.status })),
    incidents: page
      .incidents()
      .slice(0, EVENTS_SHOWN)
      .map((i) => ({ id: i.id, name: i.name, status: i.status, scheduledFor: i.scheduled_for, scheduledUntil: i.scheduled_until, updatedAt: i.updated_at, updates: i.incident_updates.length, lastUpdate: i.incident_updates[0]?.body ?? null })),
  };
}

function githubSnapshot(github: GitHubStandIn, workflowFile: string) {
  return {
    fullName: github.fullName,
    webUrl: `${github.url}/${github.fullName}`,
    defaultBranch: 'main',
    commits: github.log('main').slice(0, COMMITS_SHOWN),
    // The branches a pull request can be merged into from the page: the default branch, and each hotfix or release branch.
    branches: github.branches().map((b) => b.name).filter((name) => name === 'main' || /^(hotfix|release)\//.test(name)),
    tags: github.tags(),
    releases: github.releases().map((r) => ({ tag: r.tag_name, name: r.name, url: r.html_url, body: r.body, createdAt: r.created_at })),
    workflow: workflowFile,
    runs: github
      .runs()
      .slice(0, RUNS_SHOWN)
      .map((run) => ({
        id: run.id,
        number: run.run_number,
        name: run.name,
        headBranch: run.head_branch,
        status: run.status,
        conclusion: run.conclusion,
        url: run.html_url,
        createdAt: run.created_at,
        jobs: github.jobs(run.id).map((job) => ({
          name: job.name,
          status: job.status,
          conclusion: job.conclusion,
          url: job.html_url,
          startedAt: job.started_at,
          completedAt: job.completed_at,
          steps: job.steps.map((s) => ({ name: s.name, status: s.status, conclusion: s.conclusion })),
        })),
      })),
  };
}
