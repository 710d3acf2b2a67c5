/**
 * A local Slack stand-in: a real HTTP server on 127.0.0.1 that plays Slack in both directions.
 *
 * - Towards the app's WebClient it serves the Web API (`apiUrl`), answering Slack's response shapes.
 * - Towards the app's Bolt receiver it sends slash commands, block actions and view submissions,
 *   built and signed the way Slack builds and signs them, and it takes the app's `response_url` posts.
 * - It keeps a channel model (messages, threads, edits, ephemerals, views) that tests and the
 *   sandbox page read, and emits `'change'` after every change.
 */
import { postToApp, type AppResponse } from './app-request.js';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { listenLocally } from './listen.js';
import { SlackFiles, type SharedFileSnapshot, type StoredFile } from './slack-files.js';
import { SlackHomes } from './slack-home.js';
import { SlackFaults } from './slack-faults.js';
import { EventEmitter } from 'node:events';
import http from 'node:http';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{rawBody}`), as Slack signs its requests. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds: number,
): { signature: string; timestamp: string } {
  const timestamp = String(Math.floor(timestampSeconds));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return { signature, timestamp };
}

export interface SlackUser {
  id: string;
  name: string;
  realName?: string;
}

export interface SlackStandInOptions {
  signingSecret: string;
  botToken: string;
  /** Default 'T0001'. */
  teamId?: string;
  /** Default 'U0BOT'. */
  botUserId?: string;
  /** Default `[{ id: 'C0RELEASES', name: 'releases' }]`. */
  channels?: { id: string; name: string }[];
  users?: SlackUser[];
  userGroups?: { id: string; handle: string; users: string[] }[];
  /** Default 0 (any free port). */
  port?: number;
  /** Milliseconds since the epoch; drives message `ts` values and trigger/response_url expiry. Default Date.now. */
  clock?: () => number;
  /**
   * The clock for trigger_id (3 s) and response_url (30 min) expiry, when it is not `clock`: the sandbox
   * runs message time fast, while those limits are about how long people and networks take. Default `clock`.
   */
  expiryClock?: () => number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  user: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  edited?: { ts: string };
  /** Earlier versions, oldest first; the current version is `text`/`blocks`. */
  history: { text: string; blocks: unknown[] }[];
  /** A thread reply posted with `reply_broadcast: true` (also shown in the channel). */
  replyBroadcast?: boolean;
  /** Files shared by `files.completeUploadExternal` (slack-files.ts). */
  files?: StoredFile[];
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  ts: string;
  threadTs?: string;
}

export interface StoredView {
  id: string;
  view: Record<string, unknown>;
  triggerId?: string;
  /** Set when a submission was answered with an empty ack or `response_action: 'clear'`. */
  closed?: boolean;
  /** The user whose trigger_id opened it (or whose submission pushed it). */
  user?: string;
}

export type { AppResponse };

/** What world-store.ts keeps of the stand-in (plain data). */
export interface SlackSnapshot {
  channels: { id: string; name: string; imUser?: string }[];
  users: SlackUser[];
  messages: StoredMessage[];
  files: SharedFileSnapshot[];
  lastMicros: number;
  counter: number;
}

/** What `'change'` listeners receive. */
export interface SlackChange {
  kind:
    | 'message_posted'
    | 'message_changed'
    | 'message_deleted'
    | 'ephemeral'
    | 'ephemeral_changed'
    | 'ephemeral_deleted'
    | 'view'
    | 'response'
    | 'user';
  channel?: string;
  ts?: string;
  user?: string;
  viewId?: string;
}

export interface SendOptions {
  retryNum?: number;
  retryReason?: string;
  /** Signing timestamp; default the real current time (Bolt checks it against its own clock). */
  timestampSeconds?: number;
  /** Sign with another secret, to forge a request. */
  signingSecret?: string;
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface Channel {
  id: string;
  name: string;
  /** For a direct message channel: the user it is with. */
  imUser?: string;
}

interface ResponseUrlContext {
  channel: string;
  user: string;
  messageTs?: string;
  threadTs?: string;
  isEphemeral: boolean;
  createdAt: number;
  uses: number;
}

class ApiError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const APP_ID = 'A0TMINUS';
const BOT_ID = 'B0BOT';
const BOT_NAME = 'tminus';
const TEAM_DOMAIN = 'sandbox';
const VERIFICATION_TOKEN = 'sandboxverificationtoken';
const TRIGGER_TTL_MS = 3_000;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;
const SCOPES = 'commands,chat:write,chat:write.public,users:read,usergroups:read,files:write';
/** Slack accepts only these characters in a metadata event_type and silently drops other metadata. */
const EVENT_TYPE = /^[a-z0-9_]+$/i;
/** Fields that WebClient JSON-stringifies into form fields. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tsToMicros(ts: string): number {
  const match = /^(\d+)\.(\d{1,6})$/.exec(ts);
  if (!match) return Number.NaN;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

function microsToTs(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

function byTs(a: { ts: string }, b: { ts: string }): number {
  return tsToMicros(a.ts) - tsToMicros(b.ts);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function bool(value: unknown): boolean {
  return value === true || value === 1 || value === 'true' || value === '1';
}

/** A field that WebClient sent JSON-stringified, or a JSON body sent as is. */
function jsonField(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new ApiError('invalid_arguments');
  }
}

function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts}`).toString('base64');
}

function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^next_ts:(\d+\.\d+)$/.exec(decoded);
  if (!match?.[1]) throw new ApiError('invalid_cursor');
  return tsToMicros(match[1]);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

interface FoundElement {
  block: Json;
  blockId: string;
  element: Json;
}

/** Interactive elements of a block: actions/context elements, a section accessory, an input element. */
function elementsOf(block: Json): Json[] {
  const found: Json[] = [];
  if (Array.isArray(block.elements)) found.push(...block.elements.filter(isRecord));
  if (isRecord(block.accessory)) found.push(block.accessory);
  if (isRecord(block.element)) found.push(block.element);
  return found.filter((e) => typeof e.action_id === 'string');
}

/** Slack gives blocks without a block_id a short generated one; ours is stable per message and position. */
function blockIdOf(block: Json, ownerTs: string, index: number): string {
  if (typeof block.block_id === 'string') return block.block_id;
  return createHash('sha1').update(`${ownerTs}:${index}`).digest('base64').slice(0, 5);
}

function findElement(blocks: unknown[], ownerTs: string, actionId: string, blockId?: string): FoundElement | undefined {
  for (const [index, block] of blocks.entries()) {
    if (!isRecord(block)) continue;
    const id = blockIdOf(block, ownerTs, index);
    if (blockId !== undefined && id !== blockId) continue;
    const element = elementsOf(block).find((e) => e.action_id === actionId);
    if (element) return { block, blockId: id, element };
  }
  return undefined;
}

const SINGLE_OPTION = new Set(['static_select', 'external_select', 'radio_buttons', 'overflow']);
const MULTI_OPTION = new Set(['multi_static_select', 'multi_external_select', 'checkboxes']);
/** Elements whose value Slack reports in `state.values`. */
const STATEFUL = new Set([
  ...SINGLE_OPTION,
  ...MULTI_OPTION,
  'users_select',
  'multi_users_select',
  'conversations_select',
  'channels_select',
  'datepicker',
  'timepicker',
  'plain_text_input',
]);
STATEFUL.delete('overflow');

function optionsOf(element: Json): Json[] {
  const options: Json[] = [];
  if (Array.isArray(element.options)) options.push(...element.options.filter(isRecord));
  if (Array.isArray(element.option_groups)) {
    for (const group of element.option_groups) {
      if (isRecord(group) && Array.isArray(group.options)) options.push(...group.options.filter(isRecord));
    }
  }
  return options;
}

function optionFor(element: Json, value: string): Json {
  const known = optionsOf(element).find((o) => o.value === value);
  if (known) return clone(known);
  return { text: { type: 'plain_text', text: value, emoji: true }, value };
}

/** The value fields Slack puts on an action (and on its state entry) for an element type. */
function selectionFields(element: Json, choice: { value?: string; selectedOptions?: { value: string }[] }): Json {
  const type = String(element.type);
  const values = choice.selectedOptions?.map((o) => o.value) ?? (choice.value !== undefined ? [choice.value] : undefined);
  switch (type) {
    case 'button':
      return { value: choice.value ?? element.value };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
    case 'overflow':
      return { selected_option: values?.[0] !== undefined ? optionFor(element, values[0]) : null };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return { selected_options: (values ?? []).map((v) => optionFor(element, v)) };
    case 'users_select':
      return { selected_user: values?.[0] ?? null };
    case 'multi_users_select':
      return { selected_users: values ?? [] };
    case 'conversations_select':
      return { selected_conversation: values?.[0] ?? null };
    case 'channels_select':
      return { selected_channel: values?.[0] ?? null };
    case 'datepicker':
      return { selected_date: values?.[0] ?? null };
    case 'timepicker':
      return { selected_time: values?.[0] ?? null };
    default:
      return { value: values?.[0] ?? null };
  }
}

/** A stateful element's state before the user touched it: its initial_* fields. */
function initialState(element: Json): Json {
  const type = String(element.type);
  const state: Json = { type };
  if (SINGLE_OPTION.has(type)) state.selected_option = isRecord(element.initial_option) ? clone(element.initial_option) : null;
  else if (MULTI_OPTION.has(type)) state.selected_options = Array.isArray(element.initial_options) ? clone(element.initial_options) : [];
  else if (type === 'users_select') state.selected_user = element.initial_user ?? null;
  else if (type === 'multi_users_select') state.selected_users = element.initial_users ?? [];
  else if (type === 'conversations_select') state.selected_conversation = element.initial_conversation ?? null;
  else if (type === 'channels_select') state.selected_channel = element.initial_channel ?? null;
  else if (type === 'datepicker') state.selected_date = element.initial_date ?? null;
  else if (type === 'timepicker') state.selected_time = element.initial_time ?? null;
  else state.value = element.initial_value ?? null;
  return state;
}

// ---------------------------------------------------------------------------------------------
// The stand-in
// ---------------------------------------------------------------------------------------------

export class SlackStandIn extends EventEmitter {
  readonly url: string;
  /** `${url}/api/`, for `new WebClient(token, { slackApiUrl })`. */
  readonly apiUrl: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId = BOT_ID;
  readonly appId = APP_ID;
  /** Every Web API call that arrived (the token left out, JSON fields decoded), failed ones included. */
  readonly calls: { method: string; args: Record<string, unknown> }[] = [];

  private readonly signingSecret: string;
  private readonly botToken: string;
  private readonly clock: () => number;
  private readonly expiryClock: () => number;
  private readonly server: http.Server;
  private readonly channelList = new Map<string, Channel>();
  private readonly users = new Map<string, SlackUser>();
  private readonly userGroups: { id: string; handle: string; users: string[] }[];
  private readonly store = new Map<string, StoredMessage[]>();
  private readonly ephemeralList: StoredEphemeral[] = [];
  private readonly responseList: { url: string; body: Record<string, unknown> }[] = [];
  private readonly viewList: StoredView[] = [];
  private readonly triggers = new Map<string, { issuedAt: number; user: string }>();
  private readonly responseUrls = new Map<string, ResponseUrlContext>();
  private readonly faults = new SlackFaults();
  private lastMicros = 0;
  private counter = 0;
  /** File uploads (`files.uploadV2`): slack-files.ts. */
  /** The App Home tabs (`views.publish`, `app_home_opened`, clicks in a Home): slack-home.ts. */
  readonly homes = new SlackHomes({ teamId: () => this.teamId, appId: APP_ID, botId: BOT_ID, botUserId: () => this.botUserId, clock: () => this.clock(), knownUser: (id) => this.users.has(id), userName: (id) => this.userName(id), issueTrigger: (user) => this.issueTrigger(user), sign: (body, at, secret) => { const { signature, timestamp } = signSlackRequest(secret ?? this.signingSecret, body, at); return { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }; }, fail: (code) => { throw new ApiError(code); }, parseView: (value) => this.viewArg(value), changed: (user, viewId) => this.change({ kind: 'view', user, viewId }) });
  readonly files = new SlackFiles({ url: () => this.url, teamDomain: TEAM_DOMAIN, botUserId: () => this.botUserId, botToken: () => this.botToken, now: () => this.clock(), channelId: (ref) => this.resolveChannel(ref, false).id, post: (m) => this.postMessage(m), fail: (code) => { throw new ApiError(code); } });

  private constructor(options: SlackStandInOptions, server: http.Server, url: string) {
    super();
    this.server = server;
    this.url = url;
    this.apiUrl = `${url}/api/`;
    this.signingSecret = options.signingSecret;
    this.botToken = options.botToken;
    this.teamId = options.teamId ?? 'T0001';
    this.botUserId = options.botUserId ?? 'U0BOT';
    this.clock = options.clock ?? Date.now;
    this.expiryClock = options.expiryClock ?? this.clock;
    for (const channel of options.channels ?? [{ id: 'C0RELEASES', name: 'releases' }]) {
      this.channelList.set(channel.id, { id: channel.id, name: channel.name });
    }
    for (const user of options.users ?? []) this.users.set(user.id, { ...user });
    this.userGroups = clone(options.userGroups ?? []);
  }

  static async start(options: SlackStandInOptions): Promise<SlackStandIn> {
    const { server, url } = await listenLocally(options.port);
    const standIn = new SlackStandIn(options, server, url);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      standIn.route(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
        else res.end();
      });
    });
    return standIn;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------ the model, for readers

  /** Top-level messages and replies, in ts order (all channels when none is named). */
  messages(channel?: string): StoredMessage[] {
    const lists = channel === undefined ? [...this.store.values()] : [this.store.get(channel) ?? []];
    return clone(lists.flat().sort(byTs));
  }

  topLevel(channel: string): StoredMessage[] {
    return clone((this.store.get(channel) ?? []).filter((m) => m.threadTs === undefined));
  }

  /** Replies only, oldest first. */
  thread(channel: string, ts: string): StoredMessage[] {
    return clone((this.store.get(channel) ?? []).filter((m) => m.threadTs === ts));
  }

  ephemerals(user?: string): StoredEphemeral[] {
    return clone(this.ephemeralList.filter((e) => user === undefined || e.user === user));
  }

  /** Posts the app made to response_url, in order. */
  responses(): { url: string; body: Record<string, unknown> }[] {
    return clone(this.responseList);
  }

  views(): StoredView[] {
    return clone(this.viewList);
  }

  /** The user dismissed a view (Cancel or ×). Does not send `view_closed`. */
  closeView(viewId: string): void {
    const record = this.viewList.find((v) => v.id === viewId);
    if (!record || record.closed) return;
    record.closed = true;
    this.change({ kind: 'view', viewId });
  }

  addUser(user: SlackUser): void {
    this.users.set(user.id, { ...user });
    this.change({ kind: 'user', user: user.id });
  }

  /**
   * The channels, people, messages (with their ts and edits) and shared files, for world-store.ts. Ephemeral
   * messages, modals and Home tabs are not kept: they are gone after a reload in Slack too.
   */
  snapshot(): SlackSnapshot {
    const messages = [...this.store.values()].flat();
    return clone({ channels: [...this.channelList.values()], users: [...this.users.values()], messages, files: this.files.snapshot(), lastMicros: this.lastMicros, counter: this.counter });
  }

  /** Puts back a snapshot's world; new `ts` values come after every restored one. */
  restore(snapshot: SlackSnapshot): void {
    for (const channel of snapshot.channels) this.channelList.set(channel.id, { ...channel });
    for (const user of snapshot.users) this.users.set(user.id, { ...user });
    this.store.clear();
    for (const message of clone(snapshot.messages)) this.store.set(message.channel, [...(this.store.get(message.channel) ?? []), message]);
    for (const list of this.store.values()) list.sort(byTs);
    this.files.restore(snapshot.files);
    this.lastMicros = Math.max(this.lastMicros, snapshot.lastMicros);
    this.counter = Math.max(this.counter, snapshot.counter);
  }

  // ------------------------------------------------------------------ fault injection

  /** The next `times` calls of `method` fail: HTTP `status` when given (not 200), else HTTP 200 `{ok:false, error}`. */
  failNext(method: string, answer: { status?: number; error?: string }, times = 1): void {
    this.faults.add(method, { kind: 'error', ...answer }, { times });
  }

  /** The next call of `method` gets HTTP 429 with `Retry-After`. */
  rateLimitNext(method: string, retryAfterSeconds: number): void {
    this.faults.add(method, { kind: 'error', status: 429, error: 'ratelimited', retryAfterSeconds });
  }

  /**
   * The next call of `method` whose arguments match `when` is done at once (a message is in the channel for
   * everyone to see and click) and answered `answerAfterMs` later.
   */
  answerLateNext(method: string, answerAfterMs: number, when?: (args: Record<string, unknown>) => boolean): void {
    this.faults.add(method, { kind: 'slow-answer', answerAfterMs }, when ? { when } : {});
  }

  // ------------------------------------------------------------------ acting as Slack towards the app

  async sendCommand(
    appEventsUrl: string,
    cmd: { text: string; userId: string; command?: string; channelId?: string; triggerId?: string },
    opts: SendOptions = {},
  ): Promise<AppResponse> {
    const channel = this.channelForDelivery(cmd.channelId ?? this.defaultChannelId());
    const triggerId = this.issueTrigger(cmd.userId, cmd.triggerId);
    const responseUrl = this.issueResponseUrl('commands', { channel: channel.id, user: cmd.userId, isEphemeral: false });
    const fields: Record<string, string> = {
      token: VERIFICATION_TOKEN,
      team_id: this.teamId,
      team_domain: TEAM_DOMAIN,
      channel_id: channel.id,
      channel_name: channel.imUser ? 'directmessage' : channel.name,
      user_id: cmd.userId,
      user_name: this.userName(cmd.userId),
      command: cmd.command ?? '/release',
      text: cmd.text,
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    };
    const response = await this.deliver(appEventsUrl, new URLSearchParams(fields).toString(), opts);
    if (response.status === 200) this.showCommandAck(response.body, channel.id, cmd.userId);
    return response;
  }

  async sendBlockAction(
    appEventsUrl: string,
    a: {
      userId: string;
      channelId: string;
      messageTs: string;
      actionId: string;
      blockId?: string;
      value?: string;
      selectedOptions?: { value: string }[];
    },
    opts: SendOptions = {},
  ): Promise<AppResponse> {
    const channel = this.channelForDelivery(a.channelId);
    const stored = this.findMessage(channel.id, a.messageTs);
    const ephemeral = stored ? undefined : this.ephemeralList.find((e) => e.channel === channel.id && e.ts === a.messageTs);
    if (!stored && !ephemeral) throw new Error(`sendBlockAction: no message ${a.messageTs} in ${channel.id}`);
    if (ephemeral && ephemeral.user !== a.userId) {
      throw new Error(`sendBlockAction: ephemeral ${a.messageTs} is shown to ${ephemeral.user}, not ${a.userId}`);
    }
    const blocks = stored?.blocks ?? ephemeral?.blocks ?? [];
    const found = findElement(blocks, a.messageTs, a.actionId, a.blockId);
    if (!found) throw new Error(`sendBlockAction: message ${a.messageTs} has no element with action_id ${a.actionId}`);
    const selection = selectionFields(found.element, a);
    const action: Json = {
      type: found.element.type,
      block_id: found.blockId,
      action_id: a.actionId,
      ...(found.element.text !== undefined ? { text: clone(found.element.text) } : {}),
      ...(found.element.placeholder !== undefined ? { placeholder: clone(found.element.placeholder) } : {}),
      ...(found.element.style !== undefined ? { style: found.element.style } : {}),
      ...selection,
      action_ts: this.nowTs(),
    };
    const threadTs = stored?.threadTs ?? ephemeral?.threadTs;
    const responseUrl = this.issueResponseUrl('actions', {
      channel: channel.id,
      user: a.userId,
      messageTs: a.messageTs,
      threadTs,
      isEphemeral: Boolean(ephemeral),
    });
    const payload: Json = {
      type: 'block_actions',
      user: { id: a.userId, username: this.userName(a.userId), name: this.userName(a.userId), team_id: this.teamId },
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      container: {
        type: 'message',
        message_ts: a.messageTs,
        channel_id: channel.id,
        is_ephemeral: Boolean(ephemeral),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      },
      trigger_id: this.issueTrigger(a.userId),
      team: { id: this.teamId, domain: TEAM_DOMAIN },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: channel.id, name: channel.imUser ? 'directmessage' : channel.name },
      ...(stored ? { message: this.render(stored, true) } : {}),
      state: { values: this.messageState(blocks, a.messageTs, found, selection) },
      response_url: responseUrl,
      actions: [action],
    };
    return this.deliver(appEventsUrl, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts);
  }

  async sendViewSubmission(
    appEventsUrl: string,
    s: { userId: string; viewId: string; values: Record<string, Record<string, unknown>> },
    opts: SendOptions = {},
  ): Promise<AppResponse> {
    const record = this.viewList.find((v) => v.id === s.viewId);
    if (!record) throw new Error(`sendViewSubmission: no view ${s.viewId}`);
    record.view.state = { values: clone(s.values) };
    const payload: Json = {
      type: 'view_submission',
      team: { id: this.teamId, domain: TEAM_DOMAIN },
      user: { id: s.userId, username: this.userName(s.userId), name: this.userName(s.userId), team_id: this.teamId },
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: this.issueTrigger(s.userId),
      view: clone(record.view),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const response = await this.deliver(appEventsUrl, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts);
    if (response.status === 200) this.applyViewAck(record, response.body);
    return response;
  }

  private async deliver(url: string, rawBody: string, opts: SendOptions): Promise<AppResponse> {
    const { signature, timestamp } = signSlackRequest(
      opts.signingSecret ?? this.signingSecret,
      rawBody,
      opts.timestampSeconds ?? Math.floor(Date.now() / 1000),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-signature': signature,
      'x-slack-request-timestamp': timestamp,
    };
    if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
    if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
    return postToApp(url, rawBody, headers);
  }

  /** What Slack shows for a command's HTTP answer: nothing when empty, else an ephemeral or (in_channel) a message. */
  private showCommandAck(body: unknown, channel: string, user: string): void {
    if (body === '' || body === undefined || body === null) return;
    const message: Json = typeof body === 'string' ? { text: body } : isRecord(body) ? body : { text: String(body) };
    this.applyResponse(message, { channel, user, isEphemeral: false, createdAt: this.expiryClock(), uses: 0 });
  }

  private applyViewAck(record: StoredView, body: unknown): void {
    const action = isRecord(body) ? body.response_action : undefined;
    if (action === 'update' && isRecord(body) && isRecord(body.view)) {
      record.view = this.buildView(body.view, record.id, record.view);
      this.change({ kind: 'view', viewId: record.id });
    } else if (action === 'push' && isRecord(body) && isRecord(body.view)) {
      this.addView(body.view, undefined, record.id);
    } else if (action === undefined || action === 'clear') {
      record.closed = true;
      this.change({ kind: 'view', viewId: record.id });
    }
  }

  private messageState(blocks: unknown[], ownerTs: string, acted: FoundElement, selection: Json): Json {
    const values: Json = {};
    for (const [index, block] of blocks.entries()) {
      if (!isRecord(block)) continue;
      const blockId = blockIdOf(block, ownerTs, index);
      for (const element of elementsOf(block)) {
        if (!STATEFUL.has(String(element.type))) continue;
        const actionId = String(element.action_id);
        const isActed = blockId === acted.blockId && actionId === acted.element.action_id;
        const entry = isActed ? { type: element.type, ...selection } : initialState(element);
        values[blockId] = { ...(isRecord(values[blockId]) ? values[blockId] : {}), [actionId]: entry };
      }
    }
    return values;
  }

  // ------------------------------------------------------------------ HTTP routing

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/api/')) {
      await this.handleApi(req, res, url);
    } else if (req.method === 'POST' && this.responseUrls.has(url.pathname)) {
      await this.handleResponseUrl(req, res, url);
    } else if (this.files.takes(url)) {
      await this.files.serve(req, res, url);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not_found');
    }
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const raw = await readBody(req);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    let args: Json = Object.fromEntries(url.searchParams);
    try {
      if (contentType.startsWith('application/json')) {
        const parsed = raw === '' ? {} : (JSON.parse(raw) as unknown);
        if (!isRecord(parsed)) throw new ApiError('invalid_json');
        args = { ...args, ...parsed };
      } else if (raw !== '') {
        args = { ...args, ...Object.fromEntries(new URLSearchParams(raw)) };
      }
    } catch {
      sendJson(res, 200, { ok: false, error: 'invalid_json' });
      return;
    }

    const { token: bodyToken, ...rest } = args;
    const recorded: Json = {};
    for (const [key, value] of Object.entries(rest)) {
      try {
        recorded[key] = JSON_FIELDS.has(key) ? jsonField(value) : value;
      } catch {
        recorded[key] = value;
      }
    }
    this.calls.push({ method, args: recorded });

    const fault = this.faults.take(method, recorded);
    if (fault?.kind === 'error') {
      if (fault.status === 429) {
        sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
      } else if (fault.status !== undefined && fault.status !== 200) {
        if (fault.error) sendJson(res, fault.status, { ok: false, error: fault.error });
        else res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(http.STATUS_CODES[fault.status] ?? 'error');
      } else {
        sendJson(res, 200, { ok: false, error: fault.error ?? 'internal_error' });
      }
      return;
    }
    const answerAfterMs = fault?.kind === 'slow-answer' ? fault.answerAfterMs : 0;

    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? str(bodyToken);
    if (!token) {
      sendJson(res, 200, { ok: false, error: 'not_authed' });
      return;
    }
    if (token !== this.botToken) {
      sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      return;
    }

    const handler = this.handlers[method];
    if (!handler) {
      sendJson(res, 200, { ok: false, error: 'unknown_method', req_method: method });
      return;
    }
    try {
      const result = handler(rest);
      const answer = () => sendJson(res, 200, { ok: true, ...result }, { 'x-oauth-scopes': SCOPES });
      if (answerAfterMs > 0) setTimeout(answer, answerAfterMs);
      else answer();
    } catch (error) {
      if (error instanceof ApiError) sendJson(res, 200, { ok: false, error: error.code });
      else throw error;
    }
  }

  private async handleResponseUrl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const context = this.responseUrls.get(url.pathname);
    const raw = await readBody(req);
    if (!context) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no_active_hooks');
      return;
    }
    context.uses += 1;
    if (context.uses > RESPONSE_URL_MAX_USES || this.expiryClock() - context.createdAt > RESPONSE_URL_TTL_MS) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('expired_url');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      return;
    }
    if (!isRecord(body)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      return;
    }
    this.responseList.push({ url: `${this.url}${url.pathname}`, body: clone(body) });
    this.applyResponse(body, context);
    this.change({ kind: 'response', channel: context.channel, user: context.user });
    sendJson(res, 200, { ok: true });
  }

  /** What Slack does with a response_url post (or a command's ack body). */
  private applyResponse(body: Json, context: ResponseUrlContext): void {
    const text = str(body.text) ?? '';
    const blocks = Array.isArray(body.blocks) ? clone(body.blocks as unknown[]) : [];
    const target = context.messageTs;
    if (target && bool(body.delete_original)) {
      if (context.isEphemeral) this.removeEphemeral(context.channel, target);
      else this.removeMessage(context.channel, target);
      return;
    }
    if (target && bool(body.replace_original)) {
      if (context.isEphemeral) {
        const eph = this.ephemeralList.find((e) => e.channel === context.channel && e.ts === target);
        if (eph) {
          eph.text = text;
          eph.blocks = blocks;
          this.change({ kind: 'ephemeral_changed', channel: eph.channel, ts: eph.ts, user: eph.user });
        }
      } else {
        const message = this.findMessage(context.channel, target);
        if (message) this.editMessage(message, { text, blocks });
      }
      return;
    }
    const threadTs = str(body.thread_ts) ?? context.threadTs;
    if (body.response_type === 'in_channel') {
      this.postMessage({ channel: context.channel, text, blocks, threadTs });
    } else {
      this.addEphemeral({ channel: context.channel, user: context.user, text, blocks, threadTs });
    }
  }

  // ------------------------------------------------------------------ Web API methods

  private readonly handlers: Record<string, (args: Json) => Json> = {
    ...this.files.methods(),
    ...this.homes.methods(),
    'api.test': (args) => ({ args }),
    'auth.test': () => ({
      url: `https://${TEAM_DOMAIN}.slack.com/`,
      team: 'Sandbox',
      user: BOT_NAME,
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: BOT_ID,
      app_id: APP_ID,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const channel = this.resolveChannel(args.channel, true);
      const text = str(args.text) ?? '';
      const blocks = this.blocksArg(args.blocks) ?? [];
      if (text === '' && blocks.length === 0 && args.attachments === undefined) throw new ApiError('no_text');
      const message = this.postMessage({
        channel: channel.id,
        text,
        blocks,
        threadTs: str(args.thread_ts),
        metadata: this.metadataArg(args.metadata),
        replyBroadcast: bool(args.reply_broadcast),
      });
      return { channel: channel.id, ts: message.ts, message: this.render(message, true) };
    },
    'chat.update': (args) => {
      const channel = this.resolveChannel(args.channel, false);
      const message = this.findMessage(channel.id, str(args.ts) ?? '');
      if (!message) throw new ApiError('message_not_found');
      if (message.user !== this.botUserId) throw new ApiError('cant_update_message');
      const blocks = this.blocksArg(args.blocks);
      const metadata = args.metadata === undefined ? undefined : this.metadataArg(args.metadata);
      this.editMessage(message, { text: str(args.text), blocks, metadata });
      const rendered = this.render(message, true);
      delete rendered.ts;
      return { channel: channel.id, ts: message.ts, text: message.text, message: rendered };
    },
    'chat.postEphemeral': (args) => {
      const channel = this.resolveChannel(args.channel, true);
      const user = str(args.user);
      if (!user) throw new ApiError('user_not_in_channel');
      const text = str(args.text) ?? '';
      const blocks = this.blocksArg(args.blocks) ?? [];
      if (text === '' && blocks.length === 0 && args.attachments === undefined) throw new ApiError('no_text');
      const ephemeral = this.addEphemeral({ channel: channel.id, user, text, blocks, threadTs: str(args.thread_ts) });
      return { message_ts: ephemeral.ts };
    },
    'chat.delete': (args) => {
      const channel = this.resolveChannel(args.channel, false);
      const ts = str(args.ts) ?? '';
      const message = this.findMessage(channel.id, ts);
      if (!message) throw new ApiError('message_not_found');
      if (message.user !== this.botUserId) throw new ApiError('cant_delete_message');
      this.removeMessage(channel.id, ts);
      return { channel: channel.id, ts };
    },
    'conversations.history': (args) => {
      const channel = this.resolveChannel(args.channel, false);
      const withMetadata = bool(args.include_all_metadata);
      const all = (this.store.get(channel.id) ?? [])
        .filter((m) => m.threadTs === undefined || m.replyBroadcast)
        .filter(this.window(args))
        .sort(byTs)
        .reverse();
      const limit = this.limitArg(args.limit, 100, 999);
      const start = args.cursor ? decodeCursor(String(args.cursor)) : Number.POSITIVE_INFINITY;
      const remaining = all.filter((m) => tsToMicros(m.ts) <= start);
      const page = remaining.slice(0, limit);
      const next = remaining[limit];
      return {
        messages: page.map((m) => this.render(m, withMetadata)),
        has_more: next !== undefined,
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        ...(next ? { response_metadata: { next_cursor: encodeCursor(next.ts) } } : {}),
      };
    },
    'conversations.replies': (args) => {
      const channel = this.resolveChannel(args.channel, false);
      const found = this.findMessage(channel.id, str(args.ts) ?? '');
      if (!found) throw new ApiError('thread_not_found');
      const parent = found.threadTs ? this.findMessage(channel.id, found.threadTs) : found;
      if (!parent) throw new ApiError('thread_not_found');
      const withMetadata = bool(args.include_all_metadata);
      const replies = (this.store.get(channel.id) ?? []).filter((m) => m.threadTs === parent.ts).filter(this.window(args));
      const all = [parent, ...replies.sort(byTs)];
      const limit = this.limitArg(args.limit, 1000, 1000);
      const start = args.cursor ? decodeCursor(String(args.cursor)) : Number.NEGATIVE_INFINITY;
      const remaining = all.filter((m) => tsToMicros(m.ts) >= start);
      const page = remaining.slice(0, limit);
      const next = remaining[limit];
      return {
        messages: page.map((m) => this.render(m, withMetadata)),
        has_more: next !== undefined,
        ...(next ? { response_metadata: { next_cursor: encodeCursor(next.ts) } } : {}),
      };
    },
    'users.info': (args) => {
      const id = str(args.user) ?? '';
      if (id === this.botUserId) return { user: this.renderUser({ id, name: BOT_NAME, realName: 'T-minus' }, true) };
      const user = this.users.get(id);
      if (!user) throw new ApiError('user_not_found');
      return { user: this.renderUser(user, false) };
    },
    'usergroups.list': (args) => {
      const includeUsers = bool(args.include_users);
      return {
        usergroups: this.userGroups.map((group) => ({
          id: group.id,
          team_id: this.teamId,
          is_usergroup: true,
          is_subteam: true,
          name: group.handle,
          description: '',
          handle: group.handle,
          is_external: false,
          date_create: 1_700_000_000,
          date_update: 1_700_000_000,
          date_delete: 0,
          auto_type: null,
          created_by: this.botUserId,
          updated_by: this.botUserId,
          deleted_by: null,
          prefs: { channels: [], groups: [] },
          ...(includeUsers ? { users: [...group.users] } : {}),
          user_count: group.users.length,
        })),
      };
    },
    'usergroups.users.list': (args) => {
      const group = this.userGroups.find((g) => g.id === str(args.usergroup));
      if (!group) throw new ApiError('no_such_subteam');
      return { users: [...group.users] };
    },
    'views.open': (args) => {
      const triggerId = this.useTrigger(args.trigger_id);
      const record = this.addView(this.viewArg(args.view), triggerId);
      return { view: clone(record.view) };
    },
    'views.push': (args) => {
      const triggerId = this.useTrigger(args.trigger_id);
      const previous = [...this.viewList].reverse().find((v) => !v.closed);
      const record = this.addView(this.viewArg(args.view), triggerId, previous?.id);
      return { view: clone(record.view) };
    },
    'views.update': (args) => {
      const viewId = str(args.view_id);
      const externalId = str(args.external_id);
      const record = this.viewList.find(
        (v) => (viewId !== undefined && v.id === viewId) || (externalId !== undefined && v.view.external_id === externalId),
      );
      if (!record) throw new ApiError('not_found');
      const hash = str(args.hash);
      if (hash !== undefined && hash !== record.view.hash) throw new ApiError('hash_conflict');
      record.view = this.buildView(this.viewArg(args.view), record.id, record.view);
      this.change({ kind: 'view', viewId: record.id });
      return { view: clone(record.view) };
    },
  };

  // ------------------------------------------------------------------ model mutations

  private postMessage(input: {
    channel: string;
    text: string;
    blocks: unknown[];
    threadTs?: string;
    metadata?: StoredMessage['metadata'];
    replyBroadcast?: boolean;
    files?: StoredFile[];
  }): StoredMessage {
    // Like Slack: a reply to a reply joins the parent's thread, and an unknown thread_ts posts top-level.
    let threadTs: string | undefined;
    if (input.threadTs) {
      const parent = this.findMessage(input.channel, input.threadTs);
      threadTs = parent ? (parent.threadTs ?? parent.ts) : undefined;
    }
    const message: StoredMessage = {
      channel: input.channel,
      ts: this.nextTs(),
      ...(threadTs ? { threadTs } : {}),
      user: this.botUserId,
      text: input.text,
      blocks: clone(input.blocks),
      ...(input.metadata ? { metadata: clone(input.metadata) } : {}),
      history: [],
      ...(threadTs && input.replyBroadcast ? { replyBroadcast: true } : {}),
      ...(input.files ? { files: input.files } : {}),
    };
    const list = this.store.get(input.channel) ?? [];
    list.push(message);
    list.sort(byTs);
    this.store.set(input.channel, list);
    this.change({ kind: 'message_posted', channel: message.channel, ts: message.ts });
    return message;
  }

  private editMessage(
    message: StoredMessage,
    update: { text?: string; blocks?: unknown[]; metadata?: StoredMessage['metadata'] },
  ): void {
    message.history.push({ text: message.text, blocks: clone(message.blocks) });
    if (update.text !== undefined) message.text = update.text;
    if (update.blocks !== undefined) message.blocks = clone(update.blocks);
    if (update.metadata !== undefined) message.metadata = clone(update.metadata);
    message.edited = { ts: this.nextTs() };
    this.change({ kind: 'message_changed', channel: message.channel, ts: message.ts });
  }

  private removeMessage(channel: string, ts: string): void {
    const list = this.store.get(channel) ?? [];
    const index = list.findIndex((m) => m.ts === ts);
    if (index < 0) return;
    list.splice(index, 1);
    this.change({ kind: 'message_deleted', channel, ts });
  }

  private addEphemeral(input: Omit<StoredEphemeral, 'ts'>): StoredEphemeral {
    const ephemeral: StoredEphemeral = {
      channel: input.channel,
      user: input.user,
      text: input.text,
      blocks: clone(input.blocks),
      ts: this.nextTs(),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
    };
    this.ephemeralList.push(ephemeral);
    this.change({ kind: 'ephemeral', channel: ephemeral.channel, ts: ephemeral.ts, user: ephemeral.user });
    return ephemeral;
  }

  private removeEphemeral(channel: string, ts: string): void {
    const index = this.ephemeralList.findIndex((e) => e.channel === channel && e.ts === ts);
    if (index < 0) return;
    const [removed] = this.ephemeralList.splice(index, 1);
    this.change({ kind: 'ephemeral_deleted', channel, ts, user: removed?.user });
  }

  private addView(view: Json, triggerId?: string, previousViewId?: string): StoredView {
    this.counter += 1;
    const id = `V${String(this.counter).padStart(8, '0')}`;
    const previous = previousViewId ? this.viewList.find((v) => v.id === previousViewId) : undefined;
    const built = this.buildView(view, id);
    built.previous_view_id = previous?.id ?? null;
    built.root_view_id = previous ? (previous.view.root_view_id ?? previous.id) : id;
    const user = (triggerId ? this.triggers.get(triggerId)?.user : undefined) ?? previous?.user;
    const record: StoredView = { id, view: built, ...(triggerId ? { triggerId } : {}), ...(user ? { user } : {}) };
    this.viewList.push(record);
    this.change({ kind: 'view', viewId: id });
    return record;
  }

  /** The view object as Slack answers it (and sends it back in view_submission). */
  private buildView(view: Json, id: string, before?: Json): Json {
    return {
      id,
      team_id: this.teamId,
      type: view.type ?? 'modal',
      blocks: clone(Array.isArray(view.blocks) ? view.blocks : []),
      private_metadata: str(view.private_metadata) ?? '',
      callback_id: str(view.callback_id) ?? '',
      state: { values: {} },
      hash: `${Math.floor(this.clock() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: clone(view.title ?? null),
      clear_on_close: bool(view.clear_on_close),
      notify_on_close: bool(view.notify_on_close),
      close: clone(view.close ?? null),
      submit: clone(view.submit ?? null),
      previous_view_id: before?.previous_view_id ?? null,
      root_view_id: before?.root_view_id ?? id,
      app_id: APP_ID,
      external_id: str(view.external_id) ?? '',
      app_installed_team_id: this.teamId,
      bot_id: BOT_ID,
    };
  }

  private change(change: SlackChange): void {
    this.emit('change', change);
  }

  // ------------------------------------------------------------------ helpers

  /** Unique, increasing `ts` values from the clock: `seconds.micros`, at least 100 µs apart. */
  private nextTs(): string {
    const micros = Math.max(Math.floor(this.clock() * 1000), this.lastMicros) + 100;
    this.lastMicros = micros;
    return microsToTs(micros);
  }

  private nowTs(): string {
    return microsToTs(Math.floor(this.clock() * 1000));
  }

  private defaultChannelId(): string {
    const first = [...this.channelList.values()].find((c) => !c.imUser);
    if (!first) throw new Error('the stand-in has no channels');
    return first.id;
  }

  private channelForDelivery(id: string): Channel {
    const channel = this.channelList.get(id);
    if (!channel) throw new Error(`unknown channel ${id}`);
    return channel;
  }

  /** A channel by ID (or, where Slack allows it, by name or a user's ID for their DM). */
  private resolveChannel(ref: unknown, allowNames: boolean): Channel {
    const id = str(ref);
    if (!id) throw new ApiError('channel_not_found');
    const known = this.channelList.get(id);
    if (known) return known;
    if (allowNames) {
      const name = id.replace(/^#/, '');
      const byName = [...this.channelList.values()].find((c) => !c.imUser && c.name === name);
      if (byName) return byName;
      if (this.users.has(id)) {
        const dm: Channel = { id: `D${id.slice(1)}`, name: id, imUser: id };
        this.channelList.set(dm.id, dm);
        return dm;
      }
    }
    throw new ApiError('channel_not_found');
  }

  private findMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.store.get(channel)?.find((m) => m.ts === ts);
  }

  private blocksArg(value: unknown): unknown[] | undefined {
    if (value === undefined) return undefined;
    const parsed = jsonField(value);
    if (!Array.isArray(parsed)) throw new ApiError('invalid_blocks_format');
    return parsed;
  }

  /** Metadata Slack keeps; like Slack, metadata with a malformed event_type is dropped without an error. */
  private metadataArg(value: unknown): StoredMessage['metadata'] {
    if (value === undefined) return undefined;
    const parsed = jsonField(value);
    if (!isRecord(parsed) || typeof parsed.event_type !== 'string' || !EVENT_TYPE.test(parsed.event_type)) return undefined;
    const payload = isRecord(parsed.event_payload) ? parsed.event_payload : {};
    return { event_type: parsed.event_type, event_payload: clone(payload) };
  }

  private viewArg(value: unknown): Json {
    const parsed = jsonField(value);
    if (!isRecord(parsed)) throw new ApiError('invalid_arguments');
    return parsed;
  }

  private limitArg(value: unknown, fallback: number, max: number): number {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n <= 0) return fallback;
    return Math.min(Math.floor(n), max);
  }

  /** `oldest`/`latest` bounds, exclusive unless `inclusive`. */
  private window(args: Json): (m: StoredMessage) => boolean {
    const bound = (value: unknown): number | undefined => {
      const text = str(value);
      if (text === undefined || text === '') return undefined;
      const micros = tsToMicros(text.includes('.') ? text : `${text}.0`);
      return Number.isNaN(micros) ? undefined : micros;
    };
    const oldest = bound(args.oldest);
    const latest = bound(args.latest);
    const inclusive = bool(args.inclusive);
    return (m) => {
      const t = tsToMicros(m.ts);
      if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
      if (latest !== undefined && (inclusive ? t > latest : t >= latest)) return false;
      return true;
    };
  }

  private issueTrigger(user: string, chosen?: string): string {
    this.counter += 1;
    const id = chosen ?? `${this.counter}${Math.floor(this.clock() / 1000)}.${this.teamId.replace(/\D/g, '') || '1'}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { issuedAt: this.expiryClock(), user });
    return id;
  }

  /** Slack accepts a trigger_id it issued, within 3 seconds. */
  private useTrigger(value: unknown): string {
    const id = str(value);
    const trigger = id ? this.triggers.get(id) : undefined;
    if (!id || !trigger) throw new ApiError('invalid_trigger_id');
    if (this.expiryClock() - trigger.issuedAt > TRIGGER_TTL_MS) throw new ApiError('expired_trigger_id');
    return id;
  }

  private issueResponseUrl(kind: 'commands' | 'actions', context: Omit<ResponseUrlContext, 'createdAt' | 'uses'>): string {
    this.counter += 1;
    const path = `/${kind}/${this.teamId}/${this.counter}/${randomBytes(12).toString('base64url')}`;
    this.responseUrls.set(path, { ...context, createdAt: this.expiryClock(), uses: 0 });
    return `${this.url}${path}`;
  }

  private userName(id: string): string {
    if (id === this.botUserId) return BOT_NAME;
    return this.users.get(id)?.name ?? id.toLowerCase();
  }

  private renderUser(user: SlackUser, isBot: boolean): Json {
    const realName = user.realName ?? user.name;
    return {
      id: user.id,
      team_id: this.teamId,
      name: user.name,
      deleted: false,
      real_name: realName,
      tz: 'Europe/London',
      tz_label: 'Greenwich Mean Time',
      tz_offset: 0,
      profile: {
        real_name: realName,
        real_name_normalized: realName,
        display_name: user.name,
        display_name_normalized: user.name,
        team: this.teamId,
        ...(isBot ? { bot_id: BOT_ID, api_app_id: APP_ID } : {}),
      },
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: isBot,
      is_app_user: false,
      updated: 1_700_000_000,
    };
  }

  /** A message as the Web API and interaction payloads show it. */
  private render(message: StoredMessage, withMetadata: boolean): Json {
    const isBot = message.user === this.botUserId;
    const out: Json = {
      user: message.user,
      type: 'message',
      ts: message.ts,
      ...(isBot ? { bot_id: BOT_ID, app_id: APP_ID } : {}),
      text: message.text,
      team: this.teamId,
    };
    if (isBot) {
      out.bot_profile = { id: BOT_ID, app_id: APP_ID, name: BOT_NAME, deleted: false, team_id: this.teamId, icons: {}, updated: 1_700_000_000 };
    }
    if (message.blocks.length > 0) out.blocks = clone(message.blocks);
    if (message.files) Object.assign(out, { files: clone(message.files), upload: true });
    if (message.edited) out.edited = { user: this.botUserId, ts: message.edited.ts };
    if (message.threadTs) {
      out.thread_ts = message.threadTs;
      out.parent_user_id = this.findMessage(message.channel, message.threadTs)?.user ?? this.botUserId;
      if (message.replyBroadcast) out.subtype = 'thread_broadcast';
    } else {
      const replies = (this.store.get(message.channel) ?? []).filter((m) => m.threadTs === message.ts);
      const last = replies.at(-1);
      if (last) {
        const replyUsers = [...new Set(replies.map((r) => r.user))];
        Object.assign(out, {
          thread_ts: message.ts,
          reply_count: replies.length,
          reply_users_count: replyUsers.length,
          latest_reply: last.ts,
          reply_users: replyUsers,
          is_locked: false,
          subscribed: false,
        });
      }
    }
    if (withMetadata && message.metadata) out.metadata = clone(message.metadata);
    return out;
  }
}
