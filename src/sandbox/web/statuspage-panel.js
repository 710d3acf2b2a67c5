// The side panel's status page: the page's components and its incidents and maintenances as tminus left
// them (the Statuspage stand-in), with a control that takes the page down.
import { api, clockTime, h, update } from './dom.js';

const ICON = { scheduled: '🗓️', in_progress: '🔧', verifying: '🔍', completed: '✅', investigating: '🔎', identified: '⚠️', monitoring: '👀', resolved: '✅' };
const COMPONENT_ICON = { operational: '🟢', under_maintenance: '🔧', degraded_performance: '🟡', partial_outage: '🟠', major_outage: '🔴' };

export function statusPageSection(app) {
  const outage = h('button', {
    type: 'button', id: 'sp-outage', class: 'bk-button', 'aria-pressed': 'false',
    onclick: () => void api('/sandbox/statuspage/outage', { on: !app.state.statusPage.outage }).catch((e) => app.toast(e.message)),
  }, 'Status page outage');
  return h('section', { class: 'world-section', id: 'statuspage' },
    h('h3', {}, '📣 Status page ', h('span', { id: 'sp-status', class: 'muted' })),
    h('ul', { id: 'sp-components', class: 'list' }),
    h('div', { class: 'dd-controls' }, outage),
    h('h4', {}, 'Incidents and maintenance'), h('ul', { id: 'sp-incidents', class: 'list' }));
}

export function renderStatusPage(app) {
  const sp = app.state.statusPage;
  if (!sp) return;
  const tz = app.state.timeZone;
  update('sp-status', sp.outage, (down) => down ? h('span', { class: 'down' }, '· outage: every API call answers 503') : '· reachable');
  const button = document.getElementById('sp-outage');
  button.classList.toggle('active', sp.outage);
  button.setAttribute('aria-pressed', String(sp.outage));
  button.textContent = sp.outage ? 'End status page outage' : 'Status page outage';
  update('sp-components', sp.components, (components) => components.map((c) =>
    h('li', { 'data-component': c.id }, COMPONENT_ICON[c.status] ?? '•', ' ', h('b', {}, c.name), h('span', { class: 'muted' }, ` ${c.status.replaceAll('_', ' ')}`))));
  update('sp-incidents', [sp.incidents, tz], ([incidents]) => incidents.length === 0
    ? h('li', { class: 'muted' }, 'None yet: a planned release’s announcement becomes a scheduled maintenance, T-0 puts it in progress, and a rollback opens an incident.')
    : incidents.map((i) => h('li', { title: i.lastUpdate ?? '', 'data-status': i.status },
      ICON[i.status] ?? '•', ' ', h('b', {}, i.name), h('span', { class: 'muted' }, ` · ${i.status.replaceAll('_', ' ')}`),
      i.scheduledFor ? h('span', { class: 'muted' }, ` · ${clockTime(Date.parse(i.scheduledFor), tz)}–${clockTime(Date.parse(i.scheduledUntil), tz)}`) : null,
      h('div', { class: 'step muted' }, `${i.updates} update${i.updates === 1 ? '' : 's'}, last at ${clockTime(Date.parse(i.updatedAt), tz)}`))));
}
