// The #releases page: state from the sandbox's event stream, the channel, the thread panel, the composer,
// the identity switch, the side panel and the guide. Every click and command goes to tminus as Slack would send it.
import { api, h } from './dom.js';
import { renderChannel, renderThread } from './channel.js';
import { syncModal } from './modal.js';
import { mountWorld, renderWorld } from './world.js';
import { interceptLinks } from './links.js';
import { mountGuide, guideOnState } from './guide.js';
import { renderHome } from './home.js';

const STORAGE_ME = 'tminus-sandbox-me';

const app = {
  state: null,
  me: localStorage.getItem(STORAGE_ME) ?? 'U0ENG',
  openThread: null,
  /** 'channel' (#releases) or 'home' (tminus's Home tab of the person you are). */
  view: 'channel',
  dismissed: new Set(),
  /** Slackbot-style notes that only this page shows: command errors, hints. */
  notes: [],

  person(id) {
    if (id === this.state.bot.id) return { id, name: 'tminus', realName: 'tminus', role: 'app' };
    return this.state.people.find((p) => p.id === id) ?? { id, name: id.toLowerCase(), realName: id, role: '' };
  },

  blockContext() {
    const users = new Map(this.state.people.map((p) => [p.id, p]));
    users.set(this.state.bot.id, { id: this.state.bot.id, name: 'tminus', realName: 'tminus' });
    return { users, channels: new Map([[this.state.channel.id, this.state.channel]]) };
  },

  /** A click or choice in a message: a block_actions request to tminus. */
  async act(action) {
    try {
      const answer = await api('/sandbox/slack/action', { userId: this.me, ...action });
      if (answer.status !== 200) this.note(`tminus did not acknowledge the action in time (HTTP ${answer.status}). Slack would show a warning triangle next to the button.`);
      return answer;
    } catch (error) {
      this.toast(error.message);
    }
  },

  /** A slash command typed in the composer. */
  async send(text) {
    const typed = text.trim();
    if (!typed) return;
    if (!typed.startsWith('/')) {
      this.note('tminus listens to slash commands, not to messages: this sandbox does not post plain messages. Try `/release help`.');
      return;
    }
    try {
      const answer = await api('/sandbox/slack/command', { userId: this.me, text: typed });
      if (answer.status !== 200) this.note(`\`${typed.split(/\s/)[0]}\` failed with the error "${answer.status === 404 ? 'operation_timeout' : 'dispatch_failed'}" (tminus answered HTTP ${answer.status}).`);
      return answer;
    } catch (error) {
      this.note(error.message);
    }
  },

  /** Types into the composer as a person would, then sends. */
  async type(text) {
    const box = document.getElementById('composer');
    box.value = '';
    for (const ch of text) {
      box.value += ch;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    box.value = '';
    return this.send(text);
  },

  note(text) {
    const now = this.state?.now ?? Date.now();
    this.notes.push({ ts: (now / 1000).toFixed(6), user: 'USLACKBOT', text, blocks: [] });
    this.render();
  },

  dismiss(ts) {
    this.dismissed.add(ts);
    this.notes = this.notes.filter((n) => n.ts !== ts);
    this.render();
  },

  openThreadFor(ts) {
    const message = this.state.messages.find((m) => m.ts === ts);
    this.openThread = message?.threadTs ?? ts;
    this.render();
  },

  setMe(id) {
    this.me = id;
    localStorage.setItem(STORAGE_ME, id);
    document.getElementById('who').value = id;
    this.render();
  },

  toast(text) {
    const toast = h('div', { class: 'toast' }, text);
    document.getElementById('toasts').append(toast);
    setTimeout(() => toast.remove(), 6_000);
  },

  show(view) {
    this.view = view;
    document.querySelector('.channel-pane:not(.home-pane)').hidden = view !== 'channel';
    document.getElementById('home-pane').hidden = view !== 'home';
    document.getElementById('channel-link').classList.toggle('active', view === 'channel');
    document.getElementById('home-link').classList.toggle('active', view === 'home');
    this.render();
  },

  render() {
    if (!this.state) return;
    renderHome(this, document.getElementById('home-pane'));
    renderPeople(this);
    renderChannel(this, document.getElementById('messages'));
    renderThread(this, document.getElementById('thread'));
    renderWorld(this);
    syncModal(this);
    guideOnState(this);
  },
};

let peopleSignature = '';
function renderPeople(app) {
  const signature = JSON.stringify([app.state.people, app.me]);
  if (signature === peopleSignature) return;
  peopleSignature = signature;
  if (!app.state.people.some((p) => p.id === app.me)) app.me = app.state.people[0]?.id;
  document.getElementById('who').replaceChildren(...app.state.people.map((p) => h('option', { value: p.id, selected: p.id === app.me }, `${p.realName} — ${p.role}`)));
  document.getElementById('people').replaceChildren(...app.state.people.map((p) =>
    h('li', { class: p.id === app.me ? 'me' : '' }, h('span', { class: 'presence' }), p.realName, h('span', { class: 'role' }, p.role))));
}

function mountComposer() {
  const form = document.getElementById('composer-form');
  const box = document.getElementById('composer');
  const suggestions = document.getElementById('suggestions');
  const submit = () => {
    const text = box.value;
    box.value = '';
    suggestions.hidden = true;
    void app.send(text);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      submit();
    }
  });
  box.addEventListener('input', () => {
    const typed = box.value;
    const matches = typed.startsWith('/') && !typed.includes('\n') ? (app.state?.commands ?? []).filter((c) => c.usage.startsWith(typed.split(' ').slice(0, 2).join(' ')) || typed.length === 1) : [];
    suggestions.hidden = matches.length === 0 || typed.length > 24;
    suggestions.replaceChildren(...matches.map((c) => h('li', { onclick: () => { box.value = `${c.usage.replace(/\s*\[.*$|\s*vX\.Y\.Z.*$/, ' ')}`; box.focus(); suggestions.hidden = true; } },
      h('b', {}, c.usage), h('span', { class: 'muted' }, ` ${c.what}`))));
  });
}

function connect() {
  const banner = document.getElementById('connection');
  const events = new EventSource('/sandbox/events');
  events.addEventListener('state', (event) => {
    banner.hidden = true;
    app.state = JSON.parse(event.data);
    // Said once per page: the world kept beside tminus's data could not be read, so both started afresh.
    if (app.state.worldNotice && !app.noticeShown) {
      app.noticeShown = true;
      app.note(app.state.worldNotice);
    }
    app.render();
  });
  events.addEventListener('error', () => {
    banner.hidden = false;
  });
}

document.getElementById('who').addEventListener('change', (e) => app.setMe(e.target.value));
document.getElementById('channel-link').addEventListener('click', () => app.show('channel'));
document.getElementById('home-link').addEventListener('click', () => app.show('home'));
document.getElementById('close-thread').addEventListener('click', () => {
  app.openThread = null;
  app.render();
});
mountComposer();
mountWorld(app, document.getElementById('world'));
mountGuide(app);
interceptLinks(app);
connect();
window.tminusSandbox = app;
