// The side panel: the world outside Slack that the sandbox plays — the clock, the repository, the deploy
// workflow, Datadog — with controls to change it.
import { datadogSection, renderDatadog } from './datadog-panel.js';
import { renderStatusPage, statusPageSection } from './statuspage-panel.js';
import { api, fullTime, h, update } from './dom.js';

const ICON = { success: '✅', failure: '❌', cancelled: '⛔', skipped: '⏭️', in_progress: '⏳', queued: '⚪', waiting: '⏸️' };

export function mountWorld(app, panel) {
  const title = h('input', { id: 'pr-title', type: 'text', placeholder: 'feat: a pull request title', autocomplete: 'off' });
  // Where the pull request is merged: main, or a hotfix (or release) branch once tminus has cut one.
  const base = h('select', { id: 'pr-base', title: 'The branch the pull request is merged into' });
  const merge = async (event) => {
    event.preventDefault();
    if (!title.value.trim()) return;
    await api('/sandbox/github/merge', { title: title.value.trim(), base: base.value || 'main', userId: app.me })
      .then(() => { title.value = ''; }, (e) => app.toast(e.message));
  };
  const failJob = h('select', { id: 'fail-job' });
  panel.append(
    h('section', { class: 'world-section' },
      h('h3', {}, '🕒 Clock'),
      h('div', { id: 'virtual-time', class: 'virtual-time' }),
      h('div', { id: 'speeds', class: 'speeds' }),
      h('p', { class: 'hint', id: 'speed-hint' })),
    h('section', { class: 'world-section' },
      h('h3', {}, '🐙 GitHub ', h('span', { id: 'repo-name', class: 'muted' })),
      h('form', { class: 'merge-form', onsubmit: merge }, title, base, h('button', { type: 'submit', id: 'merge', class: 'bk-button' }, 'Merge PR')),
      h('h4', {}, 'Unreleased on main'), h('ul', { id: 'unreleased', class: 'list' }),
      h('h4', {}, 'Tags'), h('ul', { id: 'tags', class: 'list' }),
      h('h4', {}, 'Releases'), h('ul', { id: 'releases', class: 'list' })),
    h('section', { class: 'world-section' },
      h('h3', {}, '⚙️ Deploy workflow ', h('span', { id: 'workflow-file', class: 'muted' })),
      h('p', { class: 'hint' }, 'A tag push starts a run; the emergency rollback dispatches another. Runs pass unless you fail one of their jobs here.'),
      h('div', { id: 'current-run' }),
      h('div', { class: 'run-controls' },
        failJob,
        h('button', { type: 'button', id: 'fail', class: 'bk-button danger', onclick: () => runControl(app, '/sandbox/github/fail-job', { job: failJob.value }) }, 'Fail job'),
        h('button', { type: 'button', id: 'cancel-run', class: 'bk-button', onclick: () => runControl(app, '/sandbox/github/cancel-run', {}) }, 'Cancel run')),
      h('ul', { id: 'older-runs', class: 'list' })),
    datadogSection(app),
    statusPageSection(app),
  );
}

function runControl(app, path, body) {
  const run = app.state.github.runs[0];
  if (!run) return app.toast('No workflow run yet: start a release first.');
  void api(path, { runId: run.id, ...body }).catch((e) => app.toast(e.message));
}

export function renderWorld(app) {
  const { state } = app;
  const gh = state.github;
  document.getElementById('virtual-time').textContent = fullTime(state.now, state.timeZone);
  update('speeds', [state.speed, state.speeds], ([speed, speeds]) => speeds.map((s) =>
    h('button', { type: 'button', class: `speed${s === speed ? ' active' : ''}`, 'data-speed': s, onclick: () => void api('/sandbox/clock', { speed: s }).catch((e) => app.toast(e.message)) }, `${s}×`)));
  update('speed-hint', state.speed, (speed) => speed === 1 ? 'Real time.' : `1 real second = ${speed >= 60 ? `${speed / 60} virtual minute${speed === 60 ? '' : 's'}` : `${speed} virtual seconds`}. Delays tminus already queued keep the speed they were queued at.`);
  update('repo-name', gh.fullName, (name) => h('a', { href: gh.webUrl, 'data-github': 'repo' }, name));
  update('workflow-file', gh.workflow, (file) => file);

  const baseSelect = document.getElementById('pr-base');
  update('pr-base', gh.branches ?? ['main'], (branches) => {
    const keep = baseSelect.value;
    return branches.map((name) => h('option', { value: name, selected: name === keep }, `into ${name}`));
  });
  const lastTag = gh.tags[0];
  const cut = lastTag ? gh.commits.findIndex((c) => c.sha === lastTag.sha) : -1;
  const unreleased = cut < 0 ? gh.commits : gh.commits.slice(0, cut);
  update('unreleased', unreleased.map((c) => [c.sha, c.message]), (list) => list.length === 0
    ? h('li', { class: 'muted' }, 'Nothing: merge a pull request above.')
    : list.map(([sha, message]) => h('li', {}, h('code', {}, sha.slice(0, 7)), ' ', message.split('\n')[0])));
  update('tags', gh.tags, (tags) => tags.length === 0 ? h('li', { class: 'muted' }, 'No tags') : tags.map((t) =>
    h('li', {}, h('span', { class: 'tag' }, t.name), ' ', h('code', {}, t.sha.slice(0, 7)))));
  update('releases', gh.releases, (releases) => releases.length === 0 ? h('li', { class: 'muted' }, 'No releases') : releases.map((r) =>
    h('li', {}, h('a', { href: r.url }, r.name || r.tag), h('span', { class: 'muted' }, ` · ${fullTime(Date.parse(r.createdAt), state.timeZone)}`))));

  const [run, ...older] = gh.runs;
  update('current-run', run ?? null, (current) => current ? runView(current) : h('p', { class: 'muted' }, 'No runs yet.'));
  const failable = run && run.status !== 'completed' ? run.jobs.filter((j) => j.status !== 'completed') : [];
  const select = document.getElementById('fail-job');
  update('fail-job', failable.map((j) => j.name), (names) => {
    const keep = select.value;
    const options = names.length ? names.map((n) => h('option', { value: n, selected: n === keep }, n)) : [h('option', { value: '' }, 'no job to fail')];
    return options;
  });
  document.getElementById('fail').disabled = failable.length === 0;
  document.getElementById('cancel-run').disabled = !run || run.status === 'completed';
  update('older-runs', older, (runs) => runs.map((r) =>
    h('li', {}, ICON[r.conclusion ?? r.status] ?? '•', ' ', h('a', { href: r.url }, `#${r.number} ${r.headBranch}`), h('span', { class: 'muted' }, ` ${r.conclusion ?? r.status}`))));
  renderDatadog(app);
  renderStatusPage(app);
}

function runView(run) {
  return h('div', { class: 'run' },
    h('div', { class: 'run-title' }, ICON[run.conclusion ?? run.status] ?? '•', ' ', h('a', { href: run.url }, `${run.name} #${run.number}`), ' · ', h('span', { class: 'tag' }, run.headBranch), h('span', { class: 'muted' }, ` ${run.conclusion ?? run.status.replace('_', ' ')}`)),
    h('ol', { class: 'jobs' }, run.jobs.map((job) => {
      const running = job.steps.find((s) => s.status === 'in_progress');
      return h('li', { class: `job ${job.conclusion ?? job.status}` }, ICON[job.conclusion ?? job.status] ?? '•', ' ', h('a', { href: job.url }, job.name),
        running ? h('div', { class: 'step muted' }, `↳ ${running.name}`) : null,
        job.status === 'waiting' ? h('div', { class: 'step muted' }, '↳ waiting for the production environment’s review (tminus gives it after the Slack approvals)') : null);
    })));
}
