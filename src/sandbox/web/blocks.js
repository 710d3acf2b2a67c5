// Block Kit to DOM, close enough to Slack's to use: the layout blocks, and interactive elements that
// either send a block action at once (in a message) or keep their state for a submission (in a modal).
import { h } from './dom.js';
import { escapeHtml, mrkdwn, textObject } from './mrkdwn.js';
import { confirmDialog } from './confirm.js';

/**
 * ctx: { users, channels, mode: 'message' | 'modal', act(action) → Promise (messages),
 *        state: { [blockId]: { [actionId]: entry } } and errors: { [blockId]: text } (modals) }
 */
export function renderBlocks(blocks, ctx) {
  return h('div', { class: 'blocks' }, (blocks ?? []).map((block, index) => renderBlock(block, index, ctx)));
}

/** The block_id Slack would report: its own, or (in a modal) one made up from its position. */
export function blockIdOf(block, index) {
  return block.block_id ?? `blk-${index}`;
}

function renderBlock(block, index, ctx) {
  const where = { blockId: blockIdOf(block, index), hasBlockId: typeof block.block_id === 'string' };
  switch (block.type) {
    case 'header':
      return h('div', { class: 'bk-header', html: textObject(block.text, ctx) });
    case 'section':
      return section(block, where, ctx);
    case 'context':
      return h('div', { class: 'bk-context' }, (block.elements ?? []).map((el) =>
        el.type === 'image' ? h('img', { class: 'bk-context-image', src: el.image_url, alt: el.alt_text ?? '' }) : h('span', { html: textObject(el, ctx) })));
    case 'divider':
      return h('hr', { class: 'bk-divider' });
    case 'image':
      return h('figure', { class: 'bk-image' }, block.title ? h('figcaption', { html: textObject(block.title, ctx) }) : null, h('img', { src: block.image_url, alt: block.alt_text ?? '' }));
    case 'actions':
      return h('div', { class: 'bk-actions' }, (block.elements ?? []).map((el) => element(el, where, ctx)));
    case 'input':
      return input(block, where, ctx);
    case 'rich_text':
      return h('div', { class: 'bk-rich', html: richText(block.elements ?? [], ctx) });
    default:
      return h('div', { class: 'bk-unsupported' }, `[${block.type} block: not shown in the sandbox]`);
  }
}

function section(block, where, ctx) {
  const body = h('div', { class: 'bk-section-body' },
    block.text ? h('div', { class: 'bk-text', html: textObject(block.text, ctx) }) : null,
    block.fields ? h('div', { class: 'bk-fields' }, block.fields.map((f) => h('div', { class: 'bk-field', html: textObject(f, ctx) }))) : null);
  const accessory = block.accessory
    ? block.accessory.type === 'image'
      ? h('img', { class: 'bk-accessory-image', src: block.accessory.image_url, alt: block.accessory.alt_text ?? '' })
      : element(block.accessory, where, ctx)
    : null;
  return h('div', { class: 'bk-section' }, body, accessory ? h('div', { class: 'bk-accessory' }, accessory) : null);
}

function input(block, where, ctx) {
  const error = ctx.errors?.[where.blockId];
  return h('div', { class: `bk-input${error ? ' has-error' : ''}`, dataset: { blockId: where.blockId } },
    h('label', { class: 'bk-label' }, h('span', { html: textObject(block.label, ctx) }), block.optional ? h('span', { class: 'bk-optional' }, ' (optional)') : null),
    block.element ? element(block.element, where, ctx) : null,
    block.hint ? h('div', { class: 'bk-hint', html: textObject(block.hint, ctx) }) : null,
    error ? h('div', { class: 'bk-error' }, error) : null);
}

/** Slack's option objects for the values chosen. */
function optionsOf(el) {
  return [...(el.options ?? []), ...(el.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

function initialEntry(el) {
  const entry = { type: el.type };
  if (['static_select', 'radio_buttons', 'external_select'].includes(el.type)) entry.selected_option = el.initial_option ?? null;
  else if (['checkboxes', 'multi_static_select'].includes(el.type)) entry.selected_options = el.initial_options ?? [];
  else if (el.type === 'users_select') entry.selected_user = el.initial_user ?? null;
  else if (el.type === 'datepicker') entry.selected_date = el.initial_date ?? null;
  else if (el.type === 'timepicker') entry.selected_time = el.initial_time ?? null;
  else entry.value = el.initial_value ?? null;
  return entry;
}

/** In a modal, keeps the element's state; in a message, sends the block action. */
function changed(el, where, ctx, choice) {
  if (ctx.mode === 'modal') {
    const entry = { type: el.type };
    if (choice.selectedOptions) entry.selected_options = choice.selectedOptions;
    else if ('selectedOption' in choice) entry.selected_option = choice.selectedOption;
    else if ('selectedUser' in choice) entry.selected_user = choice.selectedUser;
    else if ('selectedDate' in choice) entry.selected_date = choice.selectedDate;
    else if ('selectedTime' in choice) entry.selected_time = choice.selectedTime;
    else entry.value = choice.value;
    (ctx.state[where.blockId] ??= {})[el.action_id] = entry;
    return Promise.resolve();
  }
  const value = choice.selectedOption?.value ?? choice.selectedUser ?? choice.selectedDate ?? choice.selectedTime ?? choice.value;
  return ctx.act({
    actionId: el.action_id,
    ...(where.hasBlockId ? { blockId: where.blockId } : {}),
    ...(choice.selectedOptions ? { selectedOptions: choice.selectedOptions.map((o) => ({ value: o.value })) } : value !== undefined && value !== null ? { value } : {}),
  });
}

function element(el, where, ctx) {
  if (ctx.mode === 'modal' && el.action_id && !(ctx.state[where.blockId] ?? {})[el.action_id] && el.type !== 'button' && el.type !== 'overflow') {
    (ctx.state[where.blockId] ??= {})[el.action_id] = initialEntry(el);
  }
  const current = ctx.mode === 'modal' ? ctx.state[where.blockId]?.[el.action_id] : undefined;
  switch (el.type) {
    case 'button':
      return button(el, where, ctx);
    case 'static_select':
    case 'users_select':
      return select(el, where, ctx, current);
    case 'multi_static_select': {
      const chosen = new Set((current?.selected_options ?? el.initial_options ?? []).map((o) => o.value));
      const sel = h('select', { class: 'bk-select', multiple: true, onchange: () => {
        const picked = optionsOf(el).filter((o) => [...sel.selectedOptions].some((s) => s.value === o.value));
        void changed(el, where, ctx, { selectedOptions: picked });
      } }, optionsOf(el).map((o) => h('option', { value: o.value, selected: chosen.has(o.value) }, o.text?.text ?? o.value)));
      return sel;
    }
    case 'overflow':
      return overflow(el, where, ctx);
    case 'checkboxes':
    case 'radio_buttons':
      return choices(el, where, ctx, current);
    case 'plain_text_input': {
      const attrs = { class: 'bk-text-input', placeholder: el.placeholder?.text ?? '', maxlength: el.max_length, 'data-action-id': el.action_id };
      const field = el.multiline ? h('textarea', { ...attrs, rows: 4 }) : h('input', { ...attrs, type: 'text' });
      field.value = current?.value ?? el.initial_value ?? '';
      field.addEventListener('input', () => void changed(el, where, ctx, { value: field.value }));
      if (ctx.mode !== 'modal') field.addEventListener('keydown', (e) => e.key === 'Enter' && void changed(el, where, ctx, { value: field.value }));
      return field;
    }
    case 'datepicker':
    case 'timepicker': {
      const date = el.type === 'datepicker';
      const field = h('input', { class: 'bk-text-input', type: date ? 'date' : 'time' });
      field.value = (date ? current?.selected_date ?? el.initial_date : current?.selected_time ?? el.initial_time) ?? '';
      field.addEventListener('change', () => void changed(el, where, ctx, date ? { selectedDate: field.value } : { selectedTime: field.value }));
      return field;
    }
    default:
      return h('span', { class: 'bk-unsupported' }, `[${el.type}]`);
  }
}

function button(el, where, ctx) {
  const label = h('span', { html: textObject(el.text, ctx) });
  const btn = h('button', { class: `bk-button${el.style ? ` ${el.style}` : ''}`, type: 'button', 'data-action-id': el.action_id, title: el.url ?? null }, label);
  if (ctx.mode === 'modal') {
    btn.disabled = true;
    btn.title = 'Buttons inside modals are not wired up in the sandbox';
    return btn;
  }
  btn.addEventListener('click', async () => {
    if (el.confirm && !(await confirmDialog(el.confirm, ctx))) return;
    if (el.url) window.open(el.url, '_blank', 'noopener');
    btn.classList.add('pending');
    btn.disabled = true;
    try {
      await changed(el, where, ctx, { value: el.value });
    } finally {
      btn.classList.remove('pending');
      btn.disabled = false;
    }
  });
  return btn;
}

function select(el, where, ctx, current) {
  const users = el.type === 'users_select';
  const options = users ? [...(ctx.users?.values() ?? [])].map((u) => ({ value: u.id, text: { type: 'plain_text', text: u.realName ?? u.name } })) : optionsOf(el);
  const chosen = users ? current?.selected_user ?? el.initial_user : (current?.selected_option ?? el.initial_option)?.value;
  const sel = h('select', { class: 'bk-select', 'data-action-id': el.action_id },
    h('option', { value: '', disabled: true, selected: !chosen }, el.placeholder?.text ?? 'Select an item'),
    options.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.text?.text ?? o.value)));
  sel.addEventListener('change', () => {
    const option = options.find((o) => o.value === sel.value);
    void changed(el, where, ctx, users ? { selectedUser: sel.value } : { selectedOption: option ?? null });
  });
  return sel;
}

function overflow(el, where, ctx) {
  const menu = h('div', { class: 'bk-menu', hidden: true }, optionsOf(el).map((o) =>
    h('button', { type: 'button', class: 'bk-menu-item', onclick: () => {
      menu.hidden = true;
      if (o.url) window.open(o.url, '_blank', 'noopener');
      void changed(el, where, ctx, { value: o.value });
    } }, o.text?.text ?? o.value)));
  const toggle = h('button', { type: 'button', class: 'bk-overflow', title: 'More actions', 'data-action-id': el.action_id, onclick: () => { menu.hidden = !menu.hidden; } }, '⋮');
  return h('span', { class: 'bk-overflow-wrap' }, toggle, menu);
}

function choices(el, where, ctx, current) {
  const radio = el.type === 'radio_buttons';
  const initial = radio ? [current?.selected_option ?? el.initial_option].filter(Boolean) : current?.selected_options ?? el.initial_options ?? [];
  const chosen = new Set(initial.map((o) => o.value));
  const name = `${where.blockId}-${el.action_id}-${Math.random().toString(36).slice(2, 7)}`;
  const wrap = h('div', { class: 'bk-choices', 'data-action-id': el.action_id });
  for (const option of el.options ?? []) {
    const box = h('input', { type: radio ? 'radio' : 'checkbox', name, value: option.value, checked: chosen.has(option.value) });
    box.addEventListener('change', () => {
      const picked = (el.options ?? []).filter((o) => wrap.querySelector(`input[value="${CSS.escape(o.value)}"]`)?.checked);
      void changed(el, where, ctx, radio ? { selectedOption: picked[0] ?? null } : { selectedOptions: picked });
    });
    wrap.append(h('label', { class: 'bk-choice' }, box, h('span', {},
      h('span', { html: textObject(option.text, ctx) }),
      option.description ? h('span', { class: 'bk-choice-description', html: textObject(option.description, ctx) }) : null)));
  }
  return wrap;
}

/** rich_text, for messages that carry it (tminus itself posts mrkdwn sections). */
function richText(elements, ctx) {
  const inline = (items) => (items ?? []).map((e) => {
    if (e.type === 'text') {
      let t = escapeHtml(e.text);
      if (e.style?.code) t = `<code>${t}</code>`;
      if (e.style?.bold) t = `<b>${t}</b>`;
      if (e.style?.italic) t = `<i>${t}</i>`;
      if (e.style?.strike) t = `<s>${t}</s>`;
      return t.replace(/\n/g, '<br>');
    }
    if (e.type === 'link') return mrkdwn(`<${e.url}|${e.text ?? e.url}>`, ctx);
    if (e.type === 'user') return mrkdwn(`<@${e.user_id}>`, ctx);
    if (e.type === 'channel') return mrkdwn(`<#${e.channel_id}>`, ctx);
    if (e.type === 'emoji') return e.unicode ? String.fromCodePoint(...e.unicode.split('-').map((c) => parseInt(c, 16))) : `:${e.name}:`;
    return '';
  }).join('');
  return elements.map((el) => {
    if (el.type === 'rich_text_section') return `<div>${inline(el.elements)}</div>`;
    if (el.type === 'rich_text_preformatted') return `<pre>${inline(el.elements)}</pre>`;
    if (el.type === 'rich_text_quote') return `<blockquote>${inline(el.elements)}</blockquote>`;
    if (el.type === 'rich_text_list') {
      const tag = el.style === 'ordered' ? 'ol' : 'ul';
      return `<${tag}>${(el.elements ?? []).map((item) => `<li>${inline(item.elements)}</li>`).join('')}</${tag}>`;
    }
    return '';
  }).join('');
}
