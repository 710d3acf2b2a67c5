// Small helpers shared by the page's modules: element building, the sandbox API, time formatting.

/** h('div', { class: 'x', onclick }, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'html') el.innerHTML = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const signatures = new Map();

/** Rebuilds the children of element `id` from `value` only when what it shows changed. */
export function update(id, value, build) {
  const signature = JSON.stringify(value);
  if (signatures.get(id) === signature) return;
  signatures.set(id, signature);
  document.getElementById(id).replaceChildren(...[build(value)].flat().filter(Boolean));
}

/** POSTs JSON to a sandbox route; resolves with the parsed answer, rejects with the route's error. */
export async function api(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `${path} answered ${res.status}`);
  return answer;
}

/** Slack's `ts` ("1700000000.000100") as milliseconds. */
export function tsMillis(ts) {
  return Math.floor(Number(ts) * 1000);
}

export function clockTime(ms, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
}

export function fullTime(ms, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(ms);
}

export function dayLabel(ms, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(ms);
}

/** A stable colour for an avatar. */
export function avatarColour(id) {
  const colours = ['#e01e5a', '#2eb67d', '#ecb22e', '#36c5f0', '#7c3085', '#1264a3', '#e8912d', '#4a154b'];
  let n = 0;
  for (const ch of String(id)) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return colours[n % colours.length];
}

export function initials(name) {
  return String(name).split(/\s+/).map((w) => w[0] ?? '').join('').slice(0, 2).toUpperCase();
}
