// tminus's Home tab, for the person you are: opening it sends app_home_opened (as Slack does when someone
// opens the app), and the page shows what tminus published to that person with views.publish. Clicks in it
// are block actions from a Home view; tminus's private answers arrive in the Messages tab (your DM with it).
import { api, clockTime, h, tsMillis } from './dom.js';
import { renderBlocks } from './blocks.js';
import { mrkdwn } from './mrkdwn.js';

let opened = null;

/** Shows the Home of `app.me`, telling tminus it was opened once per person and visit. */
export function renderHome(app, pane) {
  placeWhoSwitch(app, pane);
  if (app.view !== 'home') {
    opened = null;
    return;
  }
  if (opened !== app.me) {
    opened = app.me;
    api('/sandbox/slack/home-opened', { userId: app.me }).catch((error) => app.toast(error.message));
  }
  const { state } = app;
  const me = app.person(app.me);
  pane.querySelector('.home-title').textContent = `tminus · Home of ${me.realName}`;
  const home = (state.homes ?? []).find((v) => v.user === app.me);
  const ctx = {
    ...app.blockContext(),
    mode: 'message',
    act: async (action) => {
      try {
        const answer = await api('/sandbox/slack/home-action', { userId: app.me, ...action });
        if (answer.status !== 200) app.toast(`tminus did not acknowledge the click in time (HTTP ${answer.status}).`);
        return answer;
      } catch (error) {
        app.toast(error.message);
      }
    },
  };
  const dm = `D${app.me.slice(1)}`;
  const answers = (state.directMessages ?? []).filter((m) => m.channel === dm).slice(-5);
  const signature = JSON.stringify([home?.view.hash ?? null, answers.map((m) => m.ts), app.me]);
  const body = pane.querySelector('.home-body');
  if (body.dataset.signature === signature) return;
  body.dataset.signature = signature;
  // replaceChildren writes a null as the text "null": only what there is goes in.
  const parts = [
    home ? renderBlocks(home.view.blocks, ctx) : h('div', { class: 'muted home-empty' }, 'Opening the Home… tminus publishes it in a moment.'),
    answers.length > 0
      ? h('div', { class: 'home-messages' },
          h('div', { class: 'sidebar-heading' }, 'Messages from tminus'),
          answers.map((m) => h('div', { class: 'msg' }, h('time', {}, clockTime(tsMillis(m.ts), state.timeZone)), ' ', h('span', { html: mrkdwn(m.text, ctx) }))))
      : null,
  ];
  body.replaceChildren(...parts.filter(Boolean));
}

/** The "You are" switch (who the page acts as) sits in the header of the pane that shows: the channel's or the Home's. */
function placeWhoSwitch(app, pane) {
  const who = document.querySelector('label.who');
  const shown = app.view === 'home' ? pane : document.querySelector('.channel-pane:not(.home-pane)');
  const header = shown?.querySelector('.channel-header');
  if (who && header && who.parentElement !== header) header.append(who);
}
