// The guided first run: what tminus and this page are, and a scripted minor release narrated step by step
// from what appears in the channel (start, T+N updates, approvals when tminus asks for them, the end).
import { api, h } from './dom.js';
import { mrkdwn } from './mrkdwn.js';

let script = null; // { version, startedAt, seen: Set, approvalsSeen: Set, done }

export function mountGuide(app) {
  const welcome = document.getElementById('welcome');
  welcome.append(h('div', { class: 'welcome-card' },
    h('div', { class: 'welcome-title' }, '👋 Welcome to the tminus sandbox'),
    h('p', {}, h('b', {}, 'tminus'), ' is a Slack bot that runs releases by the release management guide: ', h('code', {}, '/release start v1.3.0'),
      ' tags the version on GitHub, follows the deploy-production.yml workflow, keeps one progress message up to date and posts T+N status updates in its thread until the release is complete.'),
    h('p', {}, 'This page is a Slack channel, ', h('b', {}, '#releases'), ', run on your machine. tminus itself is real and gets the same signed requests Slack would send; Slack and GitHub are local stand-ins, and the clock runs fast (see the right-hand panel), so release day’s 90 minutes take about 90 seconds at 60×.'),
    h('p', {}, 'Try: the scripted release below; or type ', h('code', {}, '/release start v1.3.0'), ', ', h('code', {}, '/release status'), ' or ', h('code', {}, '/release help'),
      '. Switch who you are at the top right. On the right, merge pull requests, fail a job of the deploy run, or change the clock speed.'),
    h('button', { type: 'button', id: 'scripted-release', class: 'bk-button primary', onclick: () => void start(app).catch((error) => app.toast(error.message)) }, '▶ Run a scripted minor release')));
}

/** The next minor version after the repository's highest tag (v1.3.0 on a fresh sandbox). */
function nextMinor(tags) {
  const versions = tags.map((t) => /^v(\d+)\.(\d+)\.(\d+)$/.exec(t.name)).filter(Boolean).map((m) => [Number(m[1]), Number(m[2])]);
  versions.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  const [major, minor] = versions[0] ?? [1, 2];
  return `v${major}.${minor + 1}.0`;
}

async function start(app) {
  const engineer = app.state.people.find((p) => /engineer/i.test(p.role)) ?? app.state.people[0];
  const version = nextMinor(app.state.github.tags);
  script = { version, startedAt: Date.now(), seen: new Set(), approvalsSeen: new Set(), done: false, steps: [] };
  document.getElementById('scripted-release').disabled = true;
  app.setMe(engineer.id);
  const lastTag = app.state.github.tags[0];
  if (lastTag && app.state.github.commits[0]?.sha === lastTag.sha) {
    // A release needs something to ship: merge a pull request first, as the panel on the right does.
    const title = 'feat: wallet spending insights';
    const merged = await api('/sandbox/github/merge', { title, userId: engineer.id });
    say(app, `Nothing was merged since ${lastTag.name}, so a pull request was merged first: <code>${title} (#${merged.number})</code>.`);
  }
  say(app, `You are ${engineer.realName} (${engineer.role.toLowerCase()}). Typing <code>/release start ${version}</code> in the composer…`);
  const answer = await app.type(`/release start ${version}`);
  if (answer?.status === 200) say(app, 'tminus checked the version against the tags it knows and answered privately: that answer is “Only visible to you”.');
  else say(app, 'tminus did not take the command: see its answer in the channel.');
}

function say(app, html, actions = []) {
  script.steps.push({ html, actions, at: Date.now() });
  draw(app);
}

function draw(app) {
  const box = document.getElementById('guide');
  box.hidden = !script;
  if (!script) return;
  const steps = script.steps.slice(-3);
  box.replaceChildren(
    h('div', { class: 'guide-head' }, h('b', {}, `📖 Scripted release ${script.version}`), h('button', { type: 'button', class: 'modal-x', title: 'Hide the guide', onclick: () => { script = null; draw(app); document.getElementById('scripted-release').disabled = false; } }, '×')),
    h('ol', { class: 'guide-steps', start: script.steps.length - steps.length + 1 }, steps.map((s, i) =>
      h('li', { class: i === steps.length - 1 ? 'current' : '' }, h('span', { html: s.html }), s.actions.length ? h('div', { class: 'guide-actions' }, s.actions) : null))));
  box.scrollTop = box.scrollHeight;
}

/** Called on every state: narrates what is new about the scripted release. */
export function guideOnState(app) {
  if (!script || script.done) return;
  const { state } = app;
  const ctx = app.blockContext();
  const top = state.messages.find((m) => !m.threadTs && m.text.includes(`Release ${script.version} `));
  if (!top) return;
  if (!script.seen.has('top')) {
    script.seen.add('top');
    say(app, `tminus posted the release in #releases. That message is the <b>live progress view</b>: it is edited in place (“(edited)”) as the deploy workflow reaches T+30 images, T+45 staging, T+60 production and T+90 verification. Its thread is open on the right.`);
    app.openThreadFor(top.ts);
    return;
  }
  const candidates = [top, ...state.messages.filter((m) => m.threadTs === top.ts), ...state.ephemerals.filter((e) => e.user === app.me)];
  for (const message of candidates) {
    const approve = approveButtons(message.blocks);
    const key = `${message.ts}:${JSON.stringify(approve.map((b) => b.action_id))}:${message.edited?.ts ?? ''}`;
    if (approve.length === 0 || script.approvalsSeen.has(key)) continue;
    script.approvalsSeen.add(key);
    const named = [...new Set([...JSON.stringify(message.blocks).matchAll(/<@(U\w+)>/g)].map((m) => m[1]))]
      .map((id) => state.people.find((p) => p.id === id))
      .filter((p) => p && p.id !== app.me && !/engineer$/i.test(p.role));
    const who = named.length ? named : state.people.filter((p) => !/engineer$/i.test(p.role)).slice(0, 3);
    say(app, `tminus is asking for an <b>approval</b>. ${named.length ? 'The message names who may approve.' : 'The guide’s approvers are the leads.'} Switch “You are” to one of them and press <b>Approve</b> (a second approver may be needed for production):`,
      who.map((p) => h('button', { type: 'button', class: 'bk-button', onclick: () => app.setMe(p.id) }, `Be ${p.realName} (${p.role})`)));
  }
  for (const reply of state.messages.filter((m) => m.threadTs === top.ts)) {
    if (script.seen.has(reply.ts)) continue;
    script.seen.add(reply.ts);
    const first = mrkdwn(reply.text.split('\n')[0].slice(0, 160), ctx);
    if (/COMPLETED/.test(reply.text)) {
      script.done = true;
      const seconds = Math.round((Date.now() - script.startedAt) / 1000);
      say(app, `${first}<br>Release ${script.version} is complete, ${seconds} real seconds after the command. The GitHub release with generated notes is in the panel on the right. Next: merge a pull request, start the next version, and fail a job of its deploy run to see a failed release and its rollback advice.`);
    } else if (/FAILED/.test(reply.text)) {
      script.done = true;
      say(app, `${first}<br>The release failed: the message says which job and step, and whether production was touched.`);
    } else if (/T\+\d/.test(reply.text)) {
      say(app, `Status update in the thread: ${first}`);
    } else {
      say(app, `In the thread: ${first}`);
    }
  }
}

/** Enabled buttons whose label says approve, anywhere in the blocks. */
function approveButtons(blocks) {
  const found = [];
  for (const block of blocks ?? []) {
    for (const el of [...(block.elements ?? []), block.accessory].filter(Boolean)) {
      if (el.type === 'button' && /approve/i.test(el.text?.text ?? '')) found.push(el);
    }
  }
  return found;
}
