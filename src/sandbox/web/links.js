// Links into the stand-ins have no web pages behind them: a GitHub link opens a preview of the release,
// run, job or comparison from the sandbox's state, and a Slack archive link opens the message's thread.
import { fullTime, h } from './dom.js';

export function interceptLinks(app) {
  document.addEventListener('click', (event) => {
    const a = event.target.closest?.('a[href]');
    if (!a) return;
    const href = a.getAttribute('href');
    const archive = /^https:\/\/[\w.-]*slack\.com\/archives\/(\w+)\/p(\d{10})(\d{6})/.exec(href);
    if (archive) {
      event.preventDefault();
      app.openThreadFor(`${archive[2]}.${archive[3]}`);
      return;
    }
    const gh = app.state?.github;
    if (gh && href.startsWith(gh.webUrl)) {
      event.preventDefault();
      showPreview(app, href.slice(gh.webUrl.length));
    }
  });
}

function showPreview(app, path) {
  const gh = app.state.github;
  const tz = app.state.timeZone;
  let title = `${gh.fullName}`;
  let body;
  const release = /^\/releases\/tag\/(.+)$/.exec(path);
  const job = /^\/actions\/runs\/(\d+)\/job\/(\d+)/.exec(path);
  const run = /^\/actions\/runs\/(\d+)/.exec(path);
  const compare = /^\/compare\/(.+?)\.\.\.(.+)$/.exec(path);
  if (release) {
    const r = gh.releases.find((x) => x.tag === decodeURIComponent(release[1]));
    title = `Release ${release[1]}`;
    body = r ? [h('p', { class: 'muted' }, `Published ${fullTime(Date.parse(r.createdAt), tz)}`), h('pre', { class: 'notes' }, r.body || '(no notes)')] : h('p', {}, 'No such release (yet).');
  } else if (run) {
    const found = gh.runs.find((x) => String(x.id) === run[1]);
    title = found ? `${found.name} #${found.number} · ${found.headBranch}` : `Workflow run ${run[1]}`;
    body = found
      ? h('ol', { class: 'jobs' }, found.jobs.filter((j) => !job || j.url.endsWith(`/job/${job[2]}`)).map((j) =>
          h('li', {}, h('b', {}, `${j.name}: ${j.conclusion ?? j.status}`), h('ul', {}, j.steps.map((s) => h('li', { class: 'muted' }, `${s.name} — ${s.conclusion ?? s.status}`))))))
      : h('p', {}, 'The sandbox shows only the latest runs.');
  } else if (compare) {
    const [from, to] = [compare[1], compare[2]].map((name) => gh.tags.find((t) => t.name === decodeURIComponent(name))?.sha);
    const start = gh.commits.findIndex((c) => c.sha === to);
    const end = gh.commits.findIndex((c) => c.sha === from);
    title = `Comparing ${compare[1]}...${compare[2]}`;
    const commits = start >= 0 ? gh.commits.slice(start, end < 0 ? undefined : end) : [];
    body = h('ul', { class: 'list' }, commits.length ? commits.map((c) => h('li', {}, h('code', {}, c.sha.slice(0, 7)), ' ', c.message)) : h('li', {}, 'No commits between them.'));
  } else {
    body = h('p', {}, 'This link points into the sandbox’s GitHub stand-in, which serves the REST API but no web pages. The side panel shows its repository and runs.');
  }
  const overlay = h('div', { class: 'overlay', onclick: (e) => e.target === overlay && overlay.remove() },
    h('div', { class: 'modal preview' },
      h('div', { class: 'modal-header' }, h('div', { class: 'modal-title' }, `🐙 ${title}`), h('button', { type: 'button', class: 'modal-x', onclick: () => overlay.remove() }, '×')),
      h('div', { class: 'modal-body' }, body, h('p', { class: 'hint' }, 'A preview from the sandbox’s GitHub stand-in.'))));
  document.body.append(overlay);
}
