// Block Kit confirmation dialogs ({ title, text, confirm, deny, style }), as Slack shows them before an action.
import { h } from './dom.js';
import { textObject } from './mrkdwn.js';

export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const close = (answer) => {
      overlay.remove();
      resolve(answer);
    };
    const overlay = h('div', { class: 'overlay', onclick: (e) => e.target === overlay && close(false) },
      h('div', { class: 'modal confirm', role: 'dialog' },
        h('div', { class: 'modal-title', html: textObject(confirm.title ?? { type: 'plain_text', text: 'Are you sure?' }, ctx) }),
        h('div', { class: 'modal-body', html: textObject(confirm.text, ctx) }),
        h('div', { class: 'modal-footer' },
          h('button', { type: 'button', class: 'bk-button', onclick: () => close(false) }, confirm.deny?.text ?? 'Cancel'),
          h('button', { type: 'button', class: `bk-button ${confirm.style === 'danger' ? 'danger' : 'primary'}`, onclick: () => close(true) }, confirm.confirm?.text ?? 'Yes'))));
    document.body.append(overlay);
  });
}
