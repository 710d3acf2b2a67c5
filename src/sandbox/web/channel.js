// The channel and its thread panel: messages in ts order with author, time, edits and replies,
// the current user's ephemerals marked "Only visible to you". Unchanged messages keep their DOM.
import { avatarColour, clockTime, dayLabel, fullTime, h, initials, tsMillis } from './dom.js';
import { renderBlocks } from './blocks.js';
import { renderFiles } from './files.js';
import { mrkdwn } from './mrkdwn.js';

const caches = new WeakMap();

export function renderChannel(app, container) {
  const { state } = app;
  const items = [
    ...state.messages.filter((m) => !m.threadTs || m.replyBroadcast).map((m) => ({ kind: 'message', m })),
    ...visibleEphemerals(app).filter((e) => !e.threadTs).map((m) => ({ kind: 'ephemeral', m })),
    ...app.notes.filter((n) => !n.threadTs).map((m) => ({ kind: 'note', m })),
  ].sort((a, b) => Number(a.m.ts) - Number(b.m.ts));
  reconcile(app, container, withDays(items, state.timeZone), true);
}

export function renderThread(app, panel) {
  const { state } = app;
  const parent = state.messages.find((m) => m.ts === app.openThread);
  if (!parent) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const replies = [
    ...state.messages.filter((m) => m.threadTs === parent.ts).map((m) => ({ kind: 'message', m, inThread: true })),
    ...visibleEphemerals(app).filter((e) => e.threadTs === parent.ts).map((m) => ({ kind: 'ephemeral', m, inThread: true })),
    ...app.notes.filter((n) => n.threadTs === parent.ts).map((m) => ({ kind: 'note', m, inThread: true })),
  ].sort((a, b) => Number(a.m.ts) - Number(b.m.ts));
  const count = replies.filter((r) => r.kind === 'message').length;
  const items = [{ kind: 'message', m: parent, inThread: true, parent: true }, { kind: 'separator', key: `sep:${count}`, text: `${count} ${count === 1 ? 'reply' : 'replies'}` }, ...replies];
  reconcile(app, panel.querySelector('.thread-messages'), items, true);
}

function visibleEphemerals(app) {
  return app.state.ephemerals.filter((e) => e.user === app.me && e.channel === app.state.channel.id && !app.dismissed.has(e.ts));
}

function withDays(items, timeZone) {
  const out = [];
  let day = null;
  for (const item of items) {
    const label = dayLabel(tsMillis(item.m.ts), timeZone);
    if (label !== day) out.push({ kind: 'separator', key: `day:${label}`, text: label, day: true });
    day = label;
    out.push(item);
  }
  return out;
}

function keyOf(item) {
  return item.key ?? `${item.kind}:${item.m.ts}${item.parent ? ':parent' : ''}`;
}

/** Keeps DOM nodes of items whose content did not change, so selects and scroll stay put. */
function reconcile(app, container, items, stickToBottom) {
  const cache = caches.get(container) ?? new Map();
  caches.set(container, cache);
  const scroller = container.closest('.scroller') ?? container;
  const atBottom = followsEnd(scroller);
  const next = new Map();
  const nodes = items.map((item) => {
    const key = keyOf(item);
    const signature = JSON.stringify([item, item.kind === 'message' && !item.inThread ? replySummary(app, item.m) : null, app.me]);
    const known = cache.get(key);
    if (known?.signature === signature) {
      next.set(key, known);
      return known.node;
    }
    const node = renderItem(app, item);
    if (known && item.m?.edited) node.classList.add('flash');
    next.set(key, { signature, node });
    return node;
  });
  caches.set(container, next);
  nodes.forEach((node, i) => {
    if (container.children[i] !== node) container.insertBefore(node, container.children[i] ?? null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
  if (stickToBottom && atBottom) scroller.scrollTop = scroller.scrollHeight;
}

const following = new WeakMap();
let renderedAt = 0;

/** Whether the reader is at the end: decided by their own scrolling, not by content changing under them. */
function followsEnd(scroller) {
  if (!following.has(scroller)) {
    following.set(scroller, true);
    scroller.addEventListener('scroll', () => {
      if (performance.now() - renderedAt < 200) return;
      following.set(scroller, scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80);
    });
  }
  renderedAt = performance.now();
  return following.get(scroller);
}

function replySummary(app, message) {
  const replies = app.state.messages.filter((m) => m.threadTs === message.ts);
  return replies.length === 0 ? null : { count: replies.length, last: replies.at(-1).ts, users: [...new Set(replies.map((r) => r.user))] };
}

function renderItem(app, item) {
  if (item.kind === 'separator') return h('div', { class: item.day ? 'day-separator' : 'thread-separator' }, h('span', {}, item.text));
  const { m } = item;
  const { state } = app;
  // An ephemeral's `user` is who sees it; the app is its author.
  const author = item.kind === 'ephemeral' ? state.bot.id : m.user;
  const person = app.person(author);
  const time = tsMillis(m.ts);
  const isBot = author === state.bot.id;
  const ctx = { ...app.blockContext(), mode: 'message', act: (action) => app.act({ channelId: state.channel.id, messageTs: m.ts, ...action }) };
  const content = h('div', { class: 'msg-content' });
  if (m.blocks?.length) content.append(renderBlocks(m.blocks, ctx));
  else content.append(h('div', { class: 'msg-text', html: mrkdwn(m.text, ctx) }));
  const files = renderFiles(m.files);
  if (files) content.append(files);
  if (m.edited) content.append(h('span', { class: 'edited', title: `Edited ${fullTime(tsMillis(m.edited.ts), state.timeZone)}` }, '(edited)'));

  const summary = item.kind === 'message' && !item.inThread ? replySummary(app, m) : null;
  return h('div', { class: `msg ${item.kind}${item.parent ? ' parent' : ''}`, dataset: { ts: m.ts, kind: item.kind } },
    item.kind === 'ephemeral' ? h('div', { class: 'ephemeral-label' }, '👁 Only visible to you') : null,
    m.replyBroadcast && !item.inThread ? h('div', { class: 'broadcast-label' }, 'replied to a thread') : null,
    h('div', { class: 'msg-row' },
      h('div', { class: 'avatar', style: `background:${isBot ? '#4a154b' : avatarColour(author)}` }, isBot ? 'T−' : item.kind === 'note' ? 'S' : initials(person.realName)),
      h('div', { class: 'msg-main' },
        h('div', { class: 'msg-meta' },
          h('span', { class: 'msg-author' }, item.kind === 'note' ? 'Slackbot' : person.realName),
          isBot ? h('span', { class: 'app-badge' }, 'APP') : null,
          h('time', { title: fullTime(time, state.timeZone) }, clockTime(time, state.timeZone))),
        content,
        summary ? threadSummary(app, m, summary) : null,
        item.kind === 'ephemeral' || item.kind === 'note'
          ? h('button', { type: 'button', class: 'link-button dismiss', onclick: () => app.dismiss(m.ts) }, 'Dismiss message')
          : null)));
}

function threadSummary(app, message, summary) {
  const { state } = app;
  return h('button', { type: 'button', class: 'thread-summary', onclick: () => app.openThreadFor(message.ts) },
    summary.users.slice(0, 3).map((u) => h('span', { class: 'mini-avatar', style: `background:${u === state.bot.id ? '#4a154b' : avatarColour(u)}` }, u === state.bot.id ? 'T' : initials(app.person(u).realName))),
    h('span', { class: 'reply-count' }, `${summary.count} ${summary.count === 1 ? 'reply' : 'replies'}`),
    h('span', { class: 'last-reply' }, `Last reply ${clockTime(tsMillis(summary.last), state.timeZone)}`),
    h('span', { class: 'view-thread' }, 'View thread'));
}
