// Modals that tminus opens with views.open / views.update / views.push: the newest open view of the
// current user is shown; its inputs are submitted as a view_submission through the Slack stand-in.
import { api, h } from './dom.js';
import { renderBlocks } from './blocks.js';
import { textObject } from './mrkdwn.js';

let shown = null; // { key, overlay }

export function syncModal(app) {
  const views = app.state.views.filter((v) => v.user === app.me || v.user === null);
  const top = views.at(-1);
  const key = top ? `${top.id}:${top.view.hash}:${app.me}` : null;
  if (shown?.key === key) return;
  shown?.overlay.remove();
  shown = top ? { key, overlay: renderModal(app, top) } : null;
  if (shown) document.body.append(shown.overlay);
}

function renderModal(app, record) {
  const { view } = record;
  const ctx = { ...app.blockContext(), mode: 'modal', state: {}, errors: {} };
  const body = h('div', { class: 'modal-body' });
  const problem = h('div', { class: 'modal-problem', hidden: true });
  const draw = () => body.replaceChildren(renderBlocks(view.blocks, ctx));
  draw();

  const close = () => void api('/sandbox/slack/close-view', { viewId: record.id }).catch((e) => app.toast(e.message));
  const submit = async () => {
    submitButton.disabled = true;
    problem.hidden = true;
    try {
      const answer = await api('/sandbox/slack/view', { userId: app.me, viewId: record.id, values: ctx.state });
      if (answer.body?.response_action === 'errors') {
        ctx.errors = answer.body.errors ?? {};
        draw();
      } else if (answer.status !== 200) {
        problem.textContent = `tminus did not accept the submission (HTTP ${answer.status}). Slack would say: “We had some trouble connecting. Try again?”`;
        problem.hidden = false;
      }
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    } finally {
      submitButton.disabled = false;
    }
  };
  const submitButton = view.submit ? h('button', { type: 'button', class: 'bk-button primary', 'data-role': 'submit', onclick: submit }, view.submit.text ?? 'Submit') : null;

  const overlay = h('div', { class: 'overlay' },
    h('div', { class: 'modal', role: 'dialog', 'data-view-id': record.id, 'data-callback-id': view.callback_id ?? '' },
      h('div', { class: 'modal-header' },
        h('div', { class: 'modal-title', html: textObject(view.title, ctx) }),
        h('button', { type: 'button', class: 'modal-x', title: 'Close', onclick: close }, '×')),
      body,
      problem,
      h('div', { class: 'modal-footer' },
        h('button', { type: 'button', class: 'bk-button', 'data-role': 'close', onclick: close }, view.close?.text ?? (submitButton ? 'Cancel' : 'Close')),
        submitButton)));
  return overlay;
}
