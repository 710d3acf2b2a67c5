import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import { METRIC_PRESETS, type MetricPreset } from '../metrics.js';
import type { AppResponse } from '../slack.js';
import { snapshot, type PageWorld } from './snapshot.js';

/**
 * The #releases page and the routes behind it, served by tminus's own HTTP receiver. Clicks and
 * commands become signed Slack requests to tminus's `/slack/events`, sent by the Slack stand-in.
 */

const WEB_DIR = fileURLToPath(new URL('.', import.meta.url));
const ASSET = /^[a-z][\w-]*\.(js|css)$/;
/** Slack's file ids, as the stand-in gives them (`F` and upper-case hex). */
const FILE_ID = /^F[A-Z0-9]{4,20}$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8' };
/** Run progress follows the clock without 'change' events: the page is refreshed this often anyway. */
const TICK_MS = 1_000;
const COALESCE_MS = 40;

export interface SandboxPage {
  routes: CustomRoute[];
  /** Ends the event streams (they would keep the HTTP server from closing). */
  close(): void;
}

class BadRequest extends Error {}

/**
 * The page acts as anyone: a request whose Host is not the sandbox's own address (another site reaching it
 * through DNS rebinding) is refused, so only someone who opened the page's address can use it.
 */
function onlyForThisHost(handler: CustomRoute['handler'], host: string | undefined): CustomRoute['handler'] {
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', ...(host ? [host.includes(':') ? `[${host}]` : host] : [])]);
  return (req, res) => {
    const name = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!allowed.has(name)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The sandbox answers only at its own address, not at ${name || 'an unnamed host'}.`);
      return;
    }
    handler(req, res);
  };
}

export function sandboxPage(options: PageWorld & { eventsUrl: string; log: Logger; host?: string }): SandboxPage {
  const { slack, github, datadog, metrics, clock, log, eventsUrl } = options;
  const streams = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;

  const broadcast = () => {
    pending = undefined;
    if (streams.size === 0) return;
    const frame = `event: state\ndata: ${JSON.stringify(snapshot(options))}\n\n`;
    for (const res of streams) res.write(frame);
  };
  const soon = () => {
    pending ??= setTimeout(broadcast, COALESCE_MS);
  };
  slack.on('change', soon);
  github.on('change', soon);
  datadog.on('change', soon);
  options.statuspage?.on('change', soon);
  const ticker = setInterval(broadcast, TICK_MS);
  ticker.unref();

  const commandNames = new Set(snapshot(options).commands.map((c) => c.usage.split(' ')[0]));

  const post = (path: string, fn: (body: Record<string, unknown>) => Promise<unknown> | unknown): CustomRoute => ({
    path,
    method: ['POST'],
    handler: (req, res) => {
      void readJson(req)
        .then(fn)
        .then((answer) => {
          soon();
          sendJson(res, 200, answer ?? { ok: true });
        })
        .catch((error: unknown) => {
          if (!(error instanceof BadRequest)) log.warn({ err: error, path }, 'sandbox page request failed');
          sendJson(res, error instanceof BadRequest ? 400 : 500, { ok: false, error: error instanceof Error ? error.message : String(error) });
        });
    },
  });

  const routes: CustomRoute[] = [
    { path: '/', method: ['GET'], handler: (_req, res) => void serveFile(res, 'index.html') },
    {
      path: '/sandbox/assets/:file',
      method: ['GET'],
      handler: (req, res) => {
        const file = String(req.params?.file ?? '');
        if (!ASSET.test(file)) return void sendJson(res, 404, { ok: false, error: 'not_found' });
        void serveFile(res, file);
      },
    },
    { path: '/sandbox/state', method: ['GET'], handler: (_req, res) => sendJson(res, 200, snapshot(options)) },
    // A shared file's bytes for the page (an <img> of the chart): Slack's `url_private` wants the bot's token.
    { path: '/sandbox/files/:id', method: ['GET'], handler: (req, res) => serveSharedFile(res, slack, String(req.params?.id ?? '')) },
    {
      path: '/sandbox/events',
      method: ['GET'],
      handler: (req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(snapshot(options))}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
      },
    },

    post('/sandbox/slack/command', async (body) => {
      const userId = text(body, 'userId');
      const typed = text(body, 'text').trim();
      const match = /^(\/\S+)\s*([\s\S]*)$/.exec(typed);
      if (!match) throw new BadRequest('Only slash commands reach tminus here: try /release help');
      const [, command = '', rest = ''] = match;
      if (!commandNames.has(command)) throw new BadRequest(`${command} is not a valid command. In this sandbox tminus answers ${[...commandNames].join(', ')}.`);
      return answer(await slack.sendCommand(eventsUrl, { userId, command, text: rest, channelId: options.channel.id }).catch(badRequest));
    }),
    post('/sandbox/slack/action', async (body) => {
      const selected = body.selectedOptions;
      const action = {
        userId: text(body, 'userId'),
        channelId: text(body, 'channelId'),
        messageTs: text(body, 'messageTs'),
        actionId: text(body, 'actionId'),
        ...(typeof body.blockId === 'string' ? { blockId: body.blockId } : {}),
        ...(typeof body.value === 'string' ? { value: body.value } : {}),
        ...(Array.isArray(selected) ? { selectedOptions: selected.map((o) => ({ value: String((o as { value?: unknown }).value) })) } : {}),
      };
      return answer(await slack.sendBlockAction(eventsUrl, action).catch(badRequest));
    }),
    post('/sandbox/slack/view', async (body) => {
      const values = body.values;
      if (typeof values !== 'object' || values === null) throw new BadRequest('values must be an object');
      const submission = { userId: text(body, 'userId'), viewId: text(body, 'viewId'), values: values as Record<string, Record<string, unknown>> };
      return answer(await slack.sendViewSubmission(eventsUrl, submission).catch(badRequest));
    }),
    post('/sandbox/slack/close-view', (body) => slack.closeView(text(body, 'viewId'))),
    // The Home tab of the person the page acts as: opening it, and clicks in it.
    post('/sandbox/slack/home-opened', async (body) => answer(await slack.homes.sendAppHomeOpened(eventsUrl, text(body, 'userId')).catch(badRequest))),
    post('/sandbox/slack/home-action', async (body) => {
      const selected = body.selectedOptions;
      const action = {
        userId: text(body, 'userId'),
        actionId: text(body, 'actionId'),
        ...(typeof body.blockId === 'string' ? { blockId: body.blockId } : {}),
        ...(typeof body.value === 'string' ? { value: body.value } : {}),
        ...(Array.isArray(selected) ? { selectedOptions: selected.map((o) => ({ value: String((o as { value?: unknown }).value) })) } : {}),
      };
      return answer(await slack.homes.sendHomeAction(eventsUrl, action).catch(badRequest));
    }),

    // A pull request opened and merged (squashed) as a person would on GitHub: into main, or into a hotfix branch.
    post('/sandbox/github/merge', (body) => {
      const title = text(body, 'title').trim();
      if (title === '') throw new BadRequest('A pull request needs a title');
      const base = body.base === undefined ? 'main' : text(body, 'base');
      if (github.headOf(base) === undefined) throw new BadRequest(`There is no branch ${base} to merge into`);
      const author = options.people.find((p) => p.id === body.userId)?.name;
      return github.mergePullRequest({ title, base, ...(author ? { author } : {}) });
    }),
    post('/sandbox/github/fail-job', (body) => {
      try {
        github.failJob(Number(body.runId), text(body, 'job'));
      } catch (error) {
        badRequest(error);
      }
    }),
    post('/sandbox/github/cancel-run', (body) => {
      try {
        github.cancelRun(Number(body.runId));
      } catch (error) {
        badRequest(error);
      }
    }),
    post('/sandbox/datadog/metrics', (body) => {
      const preset = text(body, 'preset');
      if (!(METRIC_PRESETS as readonly string[]).includes(preset)) throw new BadRequest(`preset must be one of ${METRIC_PRESETS.join(', ')}`);
      metrics.apply(preset as MetricPreset);
      log.info({ preset }, 'sandbox metrics changed');
      return { metrics: metrics.readings() };
    }),
    post('/sandbox/datadog/outage', (body) => {
      if (typeof body.on !== 'boolean') throw new BadRequest('on must be true or false');
      metrics.setOutage(body.on);
      log.info({ outage: body.on }, body.on ? 'sandbox Datadog outage: every API call answers 503' : 'sandbox Datadog outage over');
      return { outage: metrics.outage };
    }),
    post('/sandbox/statuspage/outage', (body) => {
      if (typeof body.on !== 'boolean') throw new BadRequest('on must be true or false');
      if (!options.statuspage) throw new BadRequest('this sandbox has no status page');
      options.statuspage.outage(body.on);
      log.info({ outage: body.on }, body.on ? 'sandbox status page outage: every API call answers 503' : 'sandbox status page outage over');
      return { outage: options.statuspage.down };
    }),
    post('/sandbox/clock', (body) => {
      try {
        clock.setSpeed(Number(body.speed));
      } catch (error) {
        badRequest(error);
      }
      log.info({ speed: clock.speed }, 'sandbox clock speed changed (delays already queued keep the speed they were queued at)');
      return { speed: clock.speed, now: clock.now() };
    }),
  ];

  return {
    routes: routes.map((route) => ({ ...route, handler: onlyForThisHost(route.handler, options.host) })),
    close: () => {
      clearInterval(ticker);
      if (pending) clearTimeout(pending);
      slack.off('change', soon);
      github.off('change', soon);
      datadog.off('change', soon);
      options.statuspage?.off('change', soon);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** What the page needs of tminus's answer: its HTTP status and body (an ack body becomes an ephemeral in the stand-in). */
function answer(response: AppResponse): { status: number; body: unknown; durationMs: number } {
  return { status: response.status, body: response.body, durationMs: Math.round(response.durationMs) };
}

function badRequest(error: unknown): never {
  throw new BadRequest(error instanceof Error ? error.message : String(error));
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw new BadRequest(`${field} must be a string`);
  return value;
}

async function serveFile(res: ServerResponse, file: string): Promise<void> {
  try {
    const content = await readFile(`${WEB_DIR}${file}`);
    res.writeHead(200, { 'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(content);
  } catch {
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }
}

/** Only a file the Slack stand-in holds, as the type it was shared with; never executed if opened on its own. */
function serveSharedFile(res: ServerResponse, slack: PageWorld['slack'], id: string): void {
  const stored = FILE_ID.test(id) ? slack.files.file(id) : undefined;
  if (!stored) return void sendJson(res, 404, { ok: false, error: 'file_not_found' });
  res.writeHead(200, {
    'content-type': stored.file.mimetype,
    'content-length': String(stored.bytes.length),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, max-age=3600',
  });
  res.end(stored.bytes);
}

/** JSON only: another web site cannot send that to localhost without a CORS preflight, which nothing here answers. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return Promise.reject(new BadRequest('the body must be application/json'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      try {
        const parsed: unknown = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new BadRequest('the body must be a JSON object'));
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
