/**
 * The one way text from a person or from GitHub leaves tminus: one function per place it goes. Each takes
 * the text as typed and an optional limit, and cuts what does not fit (ending in "…") after escaping, so the
 * limit holds for what is sent.
 *
 * Slash-command text arrives entity-encoded (&amp; &lt; &gt;, mentions as <@U…|name>) and modal input raw:
 * commands are decoded once where they are read (`fromSlashCommand`), everything stored is what the person
 * typed, and it is escaped exactly once, here, on the way out.
 */

const ELLIPSIS = '…';

const ZWSP = '\u200b';
/** Explicit bidi controls (an RTL override) in a person's text must not reorder tminus's own words around it. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

function isolated(text: string): string {
  // A first-strong isolate ends at its pop (PDI), which also closes any embedding or override left open inside.
  return BIDI_CONTROLS.test(text) ? `\u2068${text}\u2069` : text;
}

/**
 * `text` cut so that `measure` of the result (ending in "…" when anything was cut) is at most `max`. Never
 * splits a character made of two UTF-16 units (emoji).
 */
export function cut(text: string, max: number, measure: (text: string) => number = (t) => t.length): string {
  if (measure(text) <= max) return text;
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(points.slice(0, mid).join('') + ELLIPSIS) <= max) lo = mid;
    else hi = mid - 1;
  }
  return points.slice(0, lo).join('') + ELLIPSIS;
}

function fit(text: string, max: number, encode: (text: string) => string): string {
  const whole = encode(text);
  return whole.length <= max ? whole : encode(cut(text, max, (t) => encode(t).length));
}

const escapeSlack = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // Slack opens or ends a code block at any ```: backticks are kept apart, here and where they meet tminus's own.
    .replace(/`(?=`)/g, `\`${ZWSP}`)
    .replace(/^`/, `${ZWSP}\``)
    .replace(/`$/, `\`${ZWSP}`);

const slack = (text: string): string => escapeSlack(isolated(text));

/**
 * For Slack mrkdwn (sections, fields, context, checkbox labels): `&`, `<` and `>` become entities, as Slack's
 * formatting guide asks, so no `<!channel>`, `<@U…>` or `<url|label>` can be made from the text, and no run
 * of backticks can open or end a code block. `*bold*` and the like stay (harmless); bare `@here` and URLs are
 * not parsed because tminus's mrkdwn objects are verbatim.
 */
export function slackMrkdwn(text: string, max = Number.POSITIVE_INFINITY): string {
  return fit(text, max, slack);
}

/** What a message's top-level `text` (notifications, phones, screen readers) may carry: escaped the same way, shorter. */
export function slackFallback(text: string, max = 500): string {
  return fit(text, max, slack);
}

/** For Slack plain_text objects (headers, buttons, option descriptions): shown as is, so only cut to the limit. */
export function plainText(text: string, max: number): string {
  return fit(text, max, isolated);
}

/**
 * For GitHub markdown (issue and pull request bodies, review comments): markdown and HTML syntax is
 * backslash-escaped, so no link, image, table cell or tag is made, and a zero-width space after `@` and
 * before a number keeps GitHub from notifying `@org/team` or linking `#123`. GitHub renders what was typed.
 */
export function githubMarkdown(text: string, max = Number.POSITIVE_INFINITY): string {
  return fit(text, max, (t) => escapeGithub(isolated(t)));
}

function escapeGithub(text: string): string {
  return text
    .replace(/[\\`*_[\]<>&|~$#]/g, (c) => `\\${c}`)
    .replace(/^([ \t]*)([+\-=])/gm, '$1\\$2')
    .replace(/^([ \t]*\d+)([.)])/gm, '$1\\$2')
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/\b(GH-)(?=\d)/gi, `$1${ZWSP}`);
}

/**
 * A code block whose text cannot end it. GitHub: a fence longer than any run of backticks inside. Slack ends
 * a block at the first ``` whatever the fence, so the text is escaped as all mrkdwn is (backticks kept apart).
 */
export function codeBlock(text: string, target: 'slack' | 'github', max = Number.POSITIVE_INFINITY): string {
  if (target === 'github') {
    const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
    const fence = '`'.repeat(Math.max(3, longest + 1));
    return `${fence}\n${fit(text, max - 2 * fence.length - 2, isolated)}\n${fence}`;
  }
  return `\`\`\`${fit(text, max - 6, slack)}\`\`\``;
}

/**
 * Mrkdwn tminus has already built, cut to `max` for a Block Kit limit: never inside an entity or a `<…>`
 * link or mention, and a code block left open is closed.
 */
export function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length - 3;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  let kept = text.slice(0, end);
  const amp = kept.lastIndexOf('&');
  if (amp >= 0 && kept.length - amp < 5 && !kept.slice(amp).includes(';')) kept = kept.slice(0, amp);
  const open = kept.lastIndexOf('<');
  if (open > kept.lastIndexOf('>')) kept = kept.slice(0, open);
  const fences = kept.split('```').length - 1;
  return fences % 2 === 1 ? `${kept}${ELLIPSIS}\`\`\`` : `${kept}${ELLIPSIS}`;
}

/**
 * Slash-command text as the person typed it: Slack's entities decoded, and mentions, channels and links it
 * escaped (`<@U…|name>`, `<#C…|name>`, `<!here>`, `<url|typed>`) back to what was typed.
 */
export function fromSlashCommand(text: string): string {
  return text
    .replace(/<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>/g, (_, sigil: string, target: string, label: string | undefined) => {
      if (sigil === '@' || sigil === '#') return `${sigil}${label ?? target}`;
      if (sigil === '!') return label ?? `@${target.split('^')[0]}`;
      return label ?? target;
    })
    .replace(/&(amp|lt|gt);/g, (_, name: 'amp' | 'lt' | 'gt') => ({ amp: '&', lt: '<', gt: '>' })[name]);
}
