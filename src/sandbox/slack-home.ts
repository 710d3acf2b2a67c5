/**
 * The Slack stand-in's App Home: `views.publish` (one Home per user, checked as Slack checks it), the
 * `app_home_opened` event (Events API JSON, signed like every other request), and block actions from a Home
 * view (no `response_url`, no channel, no message: the `view` itself, as Slack sends them).
 */
import { postToApp, type AppResponse } from './app-request.js';
import { randomBytes } from 'node:crypto';

type Json = Record<string, unknown>;

/** What the Home needs of the stand-in that holds it (its private parts, lent as functions). */
export interface HomeHost {
  teamId(): string;
  appId: string;
  botId: string;
  botUserId(): string;
  clock(): number;
  knownUser(id: string): boolean;
  userName(id: string): string;
  issueTrigger(user: string): string;
  /** Signs a request body as Slack does: the headers to send. */
  sign(rawBody: string, timestampSeconds: number, secret?: string): Record<string, string>;
  /** Throws the Web API error `code` (answered `{ok:false, error}`). */
  fail(code: string): never;
  parseView(value: unknown): Json;
  changed(user: string, viewId: string): void;
}

export interface StoredHome {
  id: string;
  user: string;
  view: Json;
  /** How many times it was published. */
  publishes: number;
}

export interface HomeSendOptions {
  retryNum?: number;
  retryReason?: string;
  timestampSeconds?: number;
  signingSecret?: string;
}

export type HomeResponse = AppResponse;

const HOME_BLOCK_LIMIT = 100;
const VERIFICATION_TOKEN = 'sandboxverificationtoken';
const TEAM_DOMAIN = 'sandbox';

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class SlackHomes {
  private readonly homes = new Map<string, StoredHome>();
  private counter = 0;

  constructor(private readonly host: HomeHost) {}

  /** Web API methods, merged into the stand-in's table. */
  methods(): Record<string, (args: Json) => Json> {
    return { 'views.publish': (args) => this.publish(args) };
  }

  /** What `userId`'s Home tab shows now (undefined: nothing was ever published to them). */
  home(userId: string): StoredHome | undefined {
    const home = this.homes.get(userId);
    return home && structuredClone(home);
  }

  all(): StoredHome[] {
    return structuredClone([...this.homes.values()]);
  }

  private publish(args: Json): Json {
    const user = typeof args.user_id === 'string' ? args.user_id : undefined;
    if (!user) this.host.fail('invalid_arguments');
    if (!this.host.knownUser(user)) this.host.fail('user_not_found');
    const view = this.host.parseView(args.view);
    const blocks = Array.isArray(view.blocks) ? view.blocks : undefined;
    // Slack answers invalid_arguments for a view that is not a Home, has no blocks array, more than 100
    // blocks, or two blocks with the same block_id.
    if (view.type !== 'home' || !blocks || blocks.length > HOME_BLOCK_LIMIT) this.host.fail('invalid_arguments');
    const ids = blocks.flatMap((b) => (isRecord(b) && typeof b.block_id === 'string' ? [b.block_id] : []));
    if (new Set(ids).size !== ids.length) this.host.fail('invalid_arguments');
    const existing = this.homes.get(user);
    if (typeof args.hash === 'string' && args.hash !== existing?.view.hash) this.host.fail('hash_conflict');
    const id = existing?.id ?? this.nextId();
    const built: Json = {
      id,
      team_id: this.host.teamId(),
      type: 'home',
      blocks: structuredClone(blocks),
      private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
      callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
      state: { values: {} },
      hash: `${Math.floor(this.host.clock() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: { type: 'plain_text', text: 'View Title', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: this.host.appId,
      external_id: typeof view.external_id === 'string' ? view.external_id : '',
      app_installed_team_id: this.host.teamId(),
      bot_id: this.host.botId,
    };
    this.homes.set(user, { id, user, view: built, publishes: (existing?.publishes ?? 0) + 1 });
    this.host.changed(user, id);
    return { view: structuredClone(built) };
  }

  /** The user opens tminus's Home tab: an `app_home_opened` event through the Events API. */
  async sendAppHomeOpened(appEventsUrl: string, userId: string, opts: HomeSendOptions = {}): Promise<HomeResponse> {
    const now = this.host.clock();
    const home = this.homes.get(userId);
    const body = {
      token: VERIFICATION_TOKEN,
      team_id: this.host.teamId(),
      api_app_id: this.host.appId,
      event: {
        type: 'app_home_opened',
        user: userId,
        channel: `D${userId.slice(1)}`,
        tab: 'home',
        ...(home ? { view: structuredClone(home.view) } : {}),
        event_ts: (now / 1000).toFixed(6),
      },
      type: 'event_callback',
      event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.host.teamId(), user_id: this.host.botUserId(), is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    return this.deliver(appEventsUrl, JSON.stringify(body), 'application/json', opts);
  }

  /**
   * A click (or a tick) in `userId`'s Home tab: block_actions with the view, and no response_url. `shown`:
   * the Home as an earlier publish drew it (a tab left open elsewhere), to click what is no longer there.
   */
  async sendHomeAction(
    appEventsUrl: string,
    a: { userId: string; actionId: string; blockId?: string; value?: string; selectedOptions?: { value: string }[]; shown?: StoredHome },
    opts: HomeSendOptions = {},
  ): Promise<HomeResponse> {
    const current = this.homes.get(a.userId);
    if (!current) throw new Error(`sendHomeAction: nothing was published to ${a.userId}'s Home`);
    if (a.shown && a.shown.id !== current.id) throw new Error(`sendHomeAction: that view is not ${a.userId}'s Home`);
    const home = a.shown ?? current;
    const blocks = (home.view.blocks as unknown[]).filter(isRecord);
    const found = blocks
      .flatMap((block) => elementsOf(block).map((element) => ({ block, element })))
      .find(({ block, element }) => element.action_id === a.actionId && (a.blockId === undefined || block.block_id === a.blockId));
    if (!found) throw new Error(`sendHomeAction: ${a.userId}'s Home has no element with action_id ${a.actionId}`);
    const { block, element } = found;
    const selection: Json =
      element.type === 'checkboxes'
        ? { selected_options: (a.selectedOptions ?? []).map((o) => optionFor(element, o.value)) }
        : { value: a.value ?? element.value };
    const action: Json = {
      type: element.type,
      block_id: block.block_id,
      action_id: a.actionId,
      ...(element.text !== undefined ? { text: structuredClone(element.text) } : {}),
      ...(element.style !== undefined ? { style: element.style } : {}),
      ...selection,
      action_ts: (this.host.clock() / 1000).toFixed(6),
    };
    const state = element.type === 'checkboxes' ? { [String(block.block_id)]: { [a.actionId]: { type: 'checkboxes', ...selection } } } : {};
    const payload: Json = {
      type: 'block_actions',
      user: { id: a.userId, username: this.host.userName(a.userId), name: this.host.userName(a.userId), team_id: this.host.teamId() },
      api_app_id: this.host.appId,
      token: VERIFICATION_TOKEN,
      container: { type: 'view', view_id: home.id },
      trigger_id: this.host.issueTrigger(a.userId),
      team: { id: this.host.teamId(), domain: TEAM_DOMAIN },
      enterprise: null,
      is_enterprise_install: false,
      view: { ...structuredClone(home.view), state: { values: state } },
      actions: [action],
    };
    return this.deliver(appEventsUrl, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', opts);
  }

  private async deliver(url: string, rawBody: string, contentType: string, opts: HomeSendOptions): Promise<HomeResponse> {
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...this.host.sign(rawBody, opts.timestampSeconds ?? Math.floor(Date.now() / 1000), opts.signingSecret),
    };
    if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
    if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
    return postToApp(url, rawBody, headers);
  }

  private nextId(): string {
    this.counter += 1;
    return `VH${String(this.counter).padStart(7, '0')}`;
  }
}

function elementsOf(block: Json): Json[] {
  const found: Json[] = [];
  if (Array.isArray(block.elements)) found.push(...block.elements.filter(isRecord));
  if (isRecord(block.accessory)) found.push(block.accessory);
  return found.filter((e) => typeof e.action_id === 'string');
}

function optionFor(element: Json, value: string): Json {
  const known = (Array.isArray(element.options) ? element.options.filter(isRecord) : []).find((o) => o.value === value);
  if (!known) throw new Error(`sendHomeAction: the checkboxes have no option ${value}`);
  return structuredClone(known);
}
