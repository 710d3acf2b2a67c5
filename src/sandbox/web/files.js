// A message's shared files (files.uploadV2), as Slack shows them under the message: an image inline with
// its title, any other file as a named link. The bytes come from the sandbox's own route, never `url_private`.
import { h } from './dom.js';

/** Where the page reads a file's bytes (routes.ts serves only files the Slack stand-in holds). */
export function fileSource(file) {
  return `/sandbox/files/${encodeURIComponent(file.id)}`;
}

export function renderFiles(files) {
  if (!files?.length) return null;
  return h('div', { class: 'msg-files' }, files.map((file) => {
    const label = file.title || file.name;
    if (String(file.mimetype).startsWith('image/')) {
      return h('figure', { class: 'bk-image msg-file', dataset: { fileId: file.id } },
        h('figcaption', {}, label),
        // A chart is wider than the thread panel: shrink it to fit, as Slack's preview does.
        h('img', { src: fileSource(file), alt: label, style: 'max-width:100%;height:auto' }));
    }
    return h('div', { class: 'msg-file', dataset: { fileId: file.id } },
      h('a', { href: fileSource(file), download: file.name, target: '_blank', rel: 'noopener' }, `📎 ${label}`));
  }));
}
