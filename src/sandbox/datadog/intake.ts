/** The intake endpoints tminus writes to: events (deploy markers) and DORA deployments and failures. */
import { createHash } from 'node:crypto';
import { BadRequest, errors, objectBody, optionalFields, optionalString, stringArray, type Answer, type Request } from './http.js';
import type { Org } from './org.js';
import type { DoraDeploymentRecord, DoraFailureRecord, DoraGit, RecordedEvent } from './types.js';

const EVENT_ALERT_TYPES = ['error', 'warning', 'info', 'success', 'user_update', 'recommendation', 'snapshot'];
const EVENT_PRIORITIES = ['normal', 'low'];
const FIRST_EVENT_ID = 8_100_000_000_000_001;

export class Intake {
  readonly events: RecordedEvent[] = [];
  readonly deployments: DoraDeploymentRecord[] = [];
  readonly failures: DoraFailureRecord[] = [];

  constructor(private readonly org: Org) {}

  createEvent(request: Request): Answer {
    const body = objectBody(request.body);
    const title = body.title;
    const text = body.text;
    if (typeof title !== 'string' || title === '') throw new BadRequest("Event 'title' is required");
    if (typeof text !== 'string') throw new BadRequest("Event 'text' is required");
    const alertType = optionalString(body, 'alert_type') ?? 'info';
    if (!EVENT_ALERT_TYPES.includes(alertType)) throw new BadRequest(`Invalid alert_type: ${alertType}`);
    const priority = optionalString(body, 'priority') ?? 'normal';
    if (!EVENT_PRIORITIES.includes(priority)) throw new BadRequest(`Invalid priority: ${priority}`);
    const tags = stringArray(body, 'tags');
    const dateHappened = typeof body.date_happened === 'number' ? Math.trunc(body.date_happened) : Math.floor(this.org.clock() / 1000);
    const id = FIRST_EVENT_ID + this.events.length;
    const host = optionalString(body, 'host');
    const aggregationKey = optionalString(body, 'aggregation_key');
    const sourceTypeName = optionalString(body, 'source_type_name');
    const event: RecordedEvent = {
      id,
      title: title.slice(0, 100),
      text: text.slice(0, 4000),
      tags,
      dateHappened,
      alertType,
      priority,
      ...(host === undefined ? {} : { host }),
      ...(aggregationKey === undefined ? {} : { aggregationKey }),
      ...(sourceTypeName === undefined ? {} : { sourceTypeName }),
      ...(typeof body.related_event_id === 'number' ? { relatedEventId: body.related_event_id } : {}),
      url: `${this.org.url}/event/event?id=${id}`,
    };
    this.events.push(event);
    return {
      status: 202,
      body: {
        status: 'ok',
        event: {
          id,
          id_str: String(id),
          title: event.title,
          text: event.text,
          date_happened: dateHappened,
          handle: null,
          priority,
          alert_type: alertType,
          related_event_id: event.relatedEventId ?? null,
          tags,
          url: event.url,
        },
      },
    };
  }

  createDeployment(request: Request): Answer {
    const attributes = doraAttributes(request.body);
    const service = optionalString(attributes, 'service');
    if (service === undefined || service === '') throw new BadRequest("'service' is required");
    const startedAt = requiredTime(attributes, 'started_at');
    const finishedAt = requiredTime(attributes, 'finished_at');
    const id = optionalString(attributes, 'id') ?? createHash('sha1').update(`dora-deployment:${this.org.nextSeq()}`).digest('hex').slice(0, 16);
    const git = doraGit(attributes);
    const record: DoraDeploymentRecord = {
      id,
      service,
      ...optionalFields(attributes, ['env', 'version', 'team']),
      startedAt,
      finishedAt,
      ...(git === undefined ? {} : { git }),
      customTags: stringArray(attributes, 'custom_tags'),
      attributes,
    };
    this.deployments.push(record);
    return { status: 200, body: { data: { id, type: 'dora_deployment' } }, contentType: 'application/vnd.api+json' };
  }

  /**
   * GET /api/v2/dora/deployments/{id}: the deployment as Datadog gives it back: times as ISO dates, and the
   * git info as the repository's id (host and path, the scheme and `.git` dropped) beside the commit.
   */
  getDeployment(id: string): Answer {
    const d = this.deployments.findLast((r) => r.id === id);
    if (d === undefined) return errors(404, 'Not found');
    const attributes = {
      service: d.service,
      ...(d.env === undefined ? {} : { env: d.env }),
      ...(d.version === undefined ? {} : { version: d.version }),
      ...(d.team === undefined ? {} : { team: d.team }),
      started_at: new Date(d.startedAt).toISOString(),
      finished_at: new Date(d.finishedAt).toISOString(),
      custom_tags: d.customTags,
      ...(d.git === undefined ? {} : { git: { commit_sha: d.git.commitSha, repository_id: repositoryId(d.git.repositoryUrl) } }),
    };
    return { status: 200, body: { data: { id: d.id, type: 'dora_deployment', attributes } } };
  }

  createFailure(request: Request): Answer {
    const attributes = doraAttributes(request.body);
    const startedAt = requiredTime(attributes, 'started_at');
    const finishedAt = attributes.finished_at === undefined || attributes.finished_at === null ? undefined : requiredTime(attributes, 'finished_at');
    const hex = createHash('sha1').update(`dora-failure:${this.org.nextSeq()}`).digest('hex');
    const id =
      optionalString(attributes, 'id') ?? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const git = doraGit(attributes);
    const record: DoraFailureRecord = {
      id,
      ...optionalFields(attributes, ['name', 'env', 'severity', 'version', 'team']),
      services: stringArray(attributes, 'services'),
      startedAt,
      ...(finishedAt === undefined ? {} : { finishedAt }),
      ...(git === undefined ? {} : { git }),
      customTags: stringArray(attributes, 'custom_tags'),
      attributes,
    };
    this.failures.push(record);
    return { status: 200, body: { data: { id, type: 'dora_failure' } }, contentType: 'application/vnd.api+json' };
  }

}

function doraAttributes(body: unknown): Record<string, unknown> {
  const data = objectBody(body).data;
  if (typeof data !== 'object' || data === null) throw new BadRequest("'data' is required");
  const attributes = (data as Record<string, unknown>).attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new BadRequest("'data.attributes' is required");
  return attributes as Record<string, unknown>;
}

/** DORA timestamps may be seconds, milliseconds or nanoseconds: all become milliseconds. */
function requiredTime(attributes: Record<string, unknown>, field: string): number {
  const value = attributes[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new BadRequest(`'${field}' is required`);
  if (value > 1e15) return Math.round(value / 1e6);
  if (value > 1e11) return Math.round(value);
  return Math.round(value * 1000);
}

/** `https://github.com/acme/shop.git` and `git@github.com:acme/shop` are both `github.com/acme/shop`. */
function repositoryId(url: string): string {
  return url
    .replace(/^[a-z+]+:\/\/(?:[^@/]+@)?/i, '')
    .replace(/^[^@/]+@([^:/]+):/, '$1/')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
}

function doraGit(attributes: Record<string, unknown>): DoraGit | undefined {
  const git = attributes.git;
  if (git === undefined || git === null) return undefined;
  if (typeof git !== 'object') throw new BadRequest("'git' must be an object");
  const commitSha = optionalString(git as Record<string, unknown>, 'commit_sha');
  const repositoryUrl = optionalString(git as Record<string, unknown>, 'repository_url');
  if (commitSha === undefined || repositoryUrl === undefined) throw new BadRequest("'git' needs commit_sha and repository_url");
  return { commitSha, repositoryUrl };
}
