// The side panel's Datadog: what tminus's checks read now, controls that change production's metrics or
// take Datadog down, and what tminus wrote there (release events, DORA deployments and failures).
import { api, clockTime, h, update } from './dom.js';

const EVENT_ICON = { success: '✅', error: '🔴', warning: '⚠️', info: 'ℹ️' };

export function datadogSection(app) {
  const preset = (id, label, name, style = '') =>
    h('button', { type: 'button', id, class: `bk-button ${style}`, onclick: () => void api('/sandbox/datadog/metrics', { preset: name }).catch((e) => app.toast(e.message)) }, label);
  const outage = h('button', {
    type: 'button', id: 'dd-outage', class: 'bk-button', 'aria-pressed': 'false',
    onclick: () => void api('/sandbox/datadog/outage', { on: !app.state.datadog.outage }).catch((e) => app.toast(e.message)),
  }, 'Datadog outage');
  return h('section', { class: 'world-section', id: 'datadog' },
    h('h3', {}, '📈 Datadog ', h('span', { id: 'dd-status', class: 'muted' })),
    h('ul', { id: 'dd-metrics', class: 'list readings' }),
    h('div', { class: 'dd-controls' },
      preset('dd-error-rate', 'Push error rate over threshold', 'errorRate'),
      preset('dd-critical', 'Critical error rate', 'criticalErrorRate', 'danger'),
      preset('dd-slow-p99', 'Slow p99', 'slowP99'),
      outage,
      preset('dd-healthy', 'Back to healthy', 'healthy', 'primary')),
    h('p', { class: 'hint' }, 'A change shows in the last 5 virtual minutes too, so the next verification run reads it. tminus alerts a breach once, and again if it turns critical (with “Roll back now”). A rollback brings healthy values back.'),
    h('h4', {}, 'Events from tminus'), h('ul', { id: 'dd-events', class: 'list' }),
    h('h4', {}, 'DORA metrics'), h('ul', { id: 'dd-dora', class: 'list' }));
}

export function renderDatadog(app) {
  const dd = app.state.datadog;
  const tz = app.state.timeZone;
  update('dd-status', dd.outage, (down) => down ? h('span', { class: 'down' }, '· outage: every API call answers 503') : '· reachable');
  const button = document.getElementById('dd-outage');
  button.classList.toggle('active', dd.outage);
  button.setAttribute('aria-pressed', String(dd.outage));
  button.textContent = dd.outage ? 'End Datadog outage' : 'Datadog outage';

  update('dd-metrics', dd.metrics, (readings) => readings.map((r) => {
    const worst = r.series.reduce((a, b) => (r.direction === 'above' ? (b.value < a.value ? b : a) : b.value > a.value ? b : a));
    const healthy = r.threshold === undefined || (r.direction === 'above' ? worst.value > r.threshold : worst.value < r.threshold);
    const values = r.series.map((s) => `${s.scope === '*' ? '' : `${s.scope.replace(/^host:/, '')} `}${format(s.value, r.unit)}`).join(' · ');
    return h('li', { class: `reading ${healthy ? 'ok' : 'breach'}`, 'data-check': r.key },
      healthy ? '✅' : '❌', ' ', h('b', {}, r.label), ' ', h('span', { class: 'value' }, values),
      r.threshold === undefined ? null : h('span', { class: 'muted' }, ` (${r.direction === 'above' ? '>' : '<'} ${format(r.threshold, r.unit)})`));
  }));

  update('dd-events', [dd.events, tz], ([events]) => events.length === 0
    ? h('li', { class: 'muted' }, 'None yet: tminus posts one when a release starts, completes or is rolled back.')
    : events.map((e) => h('li', { title: e.tags.join(', ') }, EVENT_ICON[e.alertType] ?? '•', ' ', h('span', { class: 'muted' }, clockTime(e.at, tz)), ' ', e.title)));

  update('dd-dora', [dd.deployments, dd.failures, tz], ([deployments, failures]) => {
    const dora = [
      ...failures.map((f) => ({ at: f.startedAt, el: h('li', { title: f.name ?? '' }, '💥 ', h('span', { class: 'muted' }, clockTime(f.startedAt, tz)), ` failure: ${f.version ?? '?'}`, f.finishedAt ? h('span', { class: 'muted' }, `, restored ${clockTime(f.finishedAt, tz)}`) : null) })),
      ...deployments.map((d) => ({ at: d.finishedAt, el: h('li', {}, '🚀 ', h('span', { class: 'muted' }, clockTime(d.finishedAt, tz)), ` deployment: ${d.version ?? '?'} to ${d.env ?? 'prod'}`) })),
    ];
    return dora.length === 0
      ? h('li', { class: 'muted' }, 'None yet: each production deployment, and each rollback as a failure.')
      : dora.sort((x, y) => y.at - x.at).map((d) => d.el);
  });
}

/** As tminus's verification messages write values. */
function format(value, unit) {
  const v = Math.abs(value);
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit === '%' ? ' %' : unit ? ` ${unit}` : ''}`;
}
