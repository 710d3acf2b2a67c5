// Slack's mrkdwn to HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes, <url|label>,
// <@U…> as @name, <#C…> as #channel, <!here>, and a few :emoji: codes. Slack escapes &, < and >
// in text as entities; everything here is escaped again for HTML before it is marked up.

const EMOJI = {
  rocket: '🚀', white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', hourglass: '⌛',
  hourglass_flowing_sand: '⏳', pushpin: '📌', package: '📦', stopwatch: '⏱️', link: '🔗', tada: '🎉',
  red_circle: '🔴', large_green_circle: '🟢', large_yellow_circle: '🟡', eyes: '👀', fire: '🔥', rotating_light: '🚨',
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', no_entry: '⛔', calendar: '📅', memo: '📝', lock: '🔒', dart: '🎯',
};

export function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Slack's three entities back to characters. */
export function decodeEntities(text) {
  return String(text).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

/** One `<…>` control sequence. */
function control(inner, ctx) {
  const [target, label] = splitLabel(inner);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const user = ctx.users?.get(id);
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(label ?? user?.realName ?? user?.name ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = label ?? ctx.channels?.get(id)?.name ?? id;
    return `<span class="mention channel">#${escapeHtml(decodeEntities(name))}</span>`;
  }
  if (target.startsWith('!')) {
    const word = target.slice(1);
    if (word.startsWith('subteam^')) return `<span class="mention">${escapeHtml(decodeEntities(label ?? '@group'))}</span>`;
    if (word.startsWith('date^')) return escapeHtml(decodeEntities(label ?? word.split('^')[2] ?? ''));
    return `<span class="mention">@${escapeHtml(word)}</span>`;
  }
  const href = safeUrl(decodeEntities(target));
  const text = escapeHtml(decodeEntities(label ?? target));
  return href ? `<a href="${escapeHtml(href)}" target="_blank" rel="noopener">${text}</a>` : text;
}

function splitLabel(inner) {
  const bar = inner.indexOf('|');
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

/** Marks up *bold*, _italic_ and ~strike~ in text that is already HTML-escaped (and holds no tags). */
function emphasis(html) {
  const around = (mark, tag) => {
    const m = mark.replace(/[*~]/g, '\\$&');
    const pattern = new RegExp(`(^|[^\\w${m}])${m}(?=\\S)([^${m}\\n]*?\\S)${m}(?![\\w${m}])`, 'g');
    html = html.replace(pattern, `$1<${tag}>$2</${tag}>`);
  };
  around('*', 'b');
  around('_', 'i');
  around('~', 's');
  return html;
}

/** Slack mrkdwn as an HTML string. */
export function mrkdwn(text, ctx = {}) {
  const held = [];
  const hold = (html) => `\uE000${held.push(html) - 1}\uE000`;
  let s = String(text ?? '');
  s = s.replace(/```\n?([\s\S]*?)```/g, (_, code) => hold(`<pre>${escapeHtml(decodeEntities(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${escapeHtml(decodeEntities(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(control(inner, ctx)));
  s = s.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
  const lines = s.split('\n').map((line) => {
    const quoted = /^&gt;\s?/.test(line);
    const body = emphasis(escapeHtml(decodeEntities(quoted ? line.replace(/^&gt;\s?/, '') : line)));
    return quoted ? `<blockquote>${body}</blockquote>` : body;
  });
  let html = lines.join('<br>').replace(/<\/blockquote><br><blockquote>/g, '<br>').replace(/<\/blockquote><br>/g, '</blockquote>');
  // Held pieces may themselves hold others (a code span inside a link label is not Slack's, but a link inside a quote is).
  for (let i = 0; i < 3 && html.includes('\uE000'); i += 1) html = html.replace(/\uE000(\d+)\uE000/g, (_, n) => held[Number(n)] ?? '');
  return html.replace(/<br>(<pre>)/g, '$1').replace(/(<\/pre>)<br>/g, '$1');
}

/** plain_text objects (and mrkdwn ones, when a block allows either) as HTML. */
export function textObject(obj, ctx = {}) {
  if (!obj) return '';
  if (typeof obj === 'string') return escapeHtml(obj);
  if (obj.type === 'mrkdwn') return mrkdwn(obj.text, ctx);
  const plain = escapeHtml(obj.text ?? '');
  return obj.emoji === false ? plain : plain.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}
