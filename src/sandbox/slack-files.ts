/**
 * The Slack stand-in's file uploads, as `files.uploadV2` in @slack/web-api drives them:
 * 1. `files.getUploadURLExternal({ filename, length })` → `{ upload_url, file_id }`, the URL on the stand-in's
 *    own host (Slack's is files.slack.com/upload/v1/…);
 * 2. a POST of the bytes to `upload_url` (answered `200 OK - <length>` like Slack);
 * 3. `files.completeUploadExternal({ files: [{ id, title }], channel_id, thread_ts, initial_comment })`, which
 *    shares the files in the channel (or thread) as a message carrying them.
 * As rude as Slack: a file id it never gave, bytes never uploaded, or a file completed twice is `file_not_found`;
 * a missing filename or length is `invalid_arguments`; `url_private` answers only the bot's token.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  created: number;
  user: string;
  url_private: string;
  url_private_download: string;
  permalink: string;
  alt_txt?: string;
}

interface Upload {
  id: string;
  filename: string;
  length: number;
  altText?: string;
  uploadPath: string;
  bytes?: Buffer;
  completed: boolean;
}

type Json = Record<string, unknown>;

/** What the stand-in lends its file uploads: its address, its clock, its channels and its message model. */
export interface FileHost {
  url(): string;
  teamDomain: string;
  botUserId(): string;
  botToken(): string;
  now(): number;
  /** The channel's id, or a `channel_not_found` failure. */
  channelId(ref: unknown): string;
  /** Posts the file share message; its ts. */
  post(message: { channel: string; text: string; blocks: unknown[]; threadTs?: string; files: StoredFile[] }): { ts: string };
  /** Answers the Web API call with `{ ok: false, error: code }`. */
  fail(code: string): never;
}

const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', txt: 'text/plain', json: 'application/json', csv: 'text/csv', pdf: 'application/pdf' };

/** A shared file as world-store.ts keeps it. */
export interface SharedFileSnapshot {
  file: StoredFile;
  bytes: string;
}

export class SlackFiles {
  private readonly uploads = new Map<string, Upload>();
  private readonly byPath = new Map<string, Upload>();
  private readonly stored = new Map<string, { file: StoredFile; bytes: Buffer }>();

  constructor(private readonly host: FileHost) {}

  /** A shared file with its bytes, for tests and the sandbox page. */
  file(id: string): { file: StoredFile; bytes: Buffer } | undefined {
    return this.stored.get(id);
  }

  /** The shared files with their bytes (base64), for the stand-in's snapshot; uploads not completed are not kept. */
  snapshot(): SharedFileSnapshot[] {
    return [...this.stored.values()].map((s) => ({ file: structuredClone(s.file), bytes: s.bytes.toString('base64') }));
  }

  restore(files: SharedFileSnapshot[]): void {
    for (const { file, bytes } of files) this.stored.set(file.id, { file: structuredClone(file), bytes: Buffer.from(bytes, 'base64') });
  }

  /** Every shared file, oldest first. */
  all(): StoredFile[] {
    return [...this.stored.values()].map((s) => s.file);
  }

  /** The Web API methods, registered in the stand-in's `handlers` table. */
  methods(): Record<string, (args: Json) => Json> {
    return {
      'files.getUploadURLExternal': (args) => this.getUploadUrl(args),
      'files.completeUploadExternal': (args) => this.complete(args),
    };
  }

  /** Whether an HTTP request is an upload POST or a `url_private` GET this module serves. */
  takes(url: URL): boolean {
    return url.pathname.startsWith('/upload/v1/') || url.pathname.startsWith('/files-pri/');
  }

  async serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (url.pathname.startsWith('/files-pri/')) return this.download(req, res, url);
    const upload = this.byPath.get(url.pathname);
    const bytes = await readBytes(req);
    if (req.method !== 'POST' || !upload || upload.completed) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not_found');
      return;
    }
    // Slack takes the raw bytes, or a multipart form's file part (what @slack/web-api sends).
    const file = fileBytes(req.headers['content-type'] ?? '', bytes);
    if (file === undefined || file.length === 0) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_upload');
      return;
    }
    upload.bytes = file;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${file.length}`);
  }

  private getUploadUrl(args: Json): Json {
    const filename = typeof args.filename === 'string' ? args.filename.trim() : '';
    const length = Number(args.length);
    if (filename === '' || !Number.isInteger(length) || length <= 0) this.host.fail('invalid_arguments');
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    const uploadPath = `/upload/v1/${randomBytes(12).toString('hex')}`;
    const upload: Upload = { id, filename, length, uploadPath, completed: false, ...(typeof args.alt_text === 'string' ? { altText: args.alt_text } : {}) };
    this.uploads.set(id, upload);
    this.byPath.set(uploadPath, upload);
    return { upload_url: `${this.host.url()}${uploadPath}`, file_id: id };
  }

  private complete(args: Json): Json {
    let entries: unknown;
    try {
      entries = typeof args.files === 'string' ? JSON.parse(args.files) : args.files;
    } catch {
      this.host.fail('invalid_arguments');
    }
    if (!Array.isArray(entries) || entries.length === 0) this.host.fail('invalid_arguments');
    const wanted = (entries as unknown[]).map((e) => (typeof e === 'object' && e !== null ? (e as Json) : {}));
    const uploads = wanted.map((e) => {
      const upload = typeof e.id === 'string' ? this.uploads.get(e.id) : undefined;
      // Never given, never uploaded, or already completed: Slack has no such file to finish.
      if (!upload || upload.bytes === undefined || upload.completed) this.host.fail('file_not_found');
      return { upload, title: typeof e.title === 'string' && e.title !== '' ? e.title : upload.filename };
    });
    const channel = args.channel_id === undefined ? undefined : this.host.channelId(args.channel_id);
    const files = uploads.map(({ upload, title }) => {
      upload.completed = true;
      const file = this.fileOf(upload, title);
      this.stored.set(file.id, { file, bytes: upload.bytes! });
      return file;
    });
    if (channel) {
      const text = typeof args.initial_comment === 'string' ? args.initial_comment : '';
      let blocks: unknown[] = [];
      // As Slack: blocks are ignored when there is an initial comment.
      if (text === '' && typeof args.blocks === 'string') blocks = JSON.parse(args.blocks) as unknown[];
      const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
      this.host.post({ channel, text, blocks, ...(threadTs ? { threadTs } : {}), files });
    }
    return { files: files.map((f) => ({ id: f.id, title: f.title })) };
  }

  private fileOf(upload: Upload, title: string): StoredFile {
    const filetype = (upload.filename.split('.').pop() ?? '').toLowerCase();
    const user = this.host.botUserId();
    const privateUrl = `${this.host.url()}/files-pri/T0SANDBOX-${upload.id}/${encodeURIComponent(upload.filename)}`;
    return {
      id: upload.id,
      name: upload.filename,
      title,
      mimetype: TYPES[filetype] ?? 'application/octet-stream',
      filetype,
      size: upload.bytes!.length,
      created: Math.floor(this.host.now() / 1000),
      user,
      url_private: privateUrl,
      url_private_download: `${privateUrl}?download=1`,
      permalink: `https://${this.host.teamDomain}.slack.com/files/${user}/${upload.id}/${encodeURIComponent(upload.filename)}`,
      ...(upload.altText ? { alt_txt: upload.altText } : {}),
    };
  }

  /** `url_private`: the bytes, for a request bearing the bot's token (Slack answers others with a login page). */
  private download(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const id = /^\/files-pri\/[^/-]+-([^/]+)\//.exec(url.pathname)?.[1];
    const stored = id ? this.stored.get(id) : undefined;
    if (req.headers.authorization !== `Bearer ${this.host.botToken()}`) {
      res.writeHead(302, { location: `https://${this.host.teamDomain}.slack.com/?redir=${encodeURIComponent(url.pathname)}` }).end();
      return;
    }
    if (!stored) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('file_not_found');
      return;
    }
    res.writeHead(200, { 'content-type': stored.file.mimetype, 'content-length': String(stored.bytes.length) }).end(stored.bytes);
  }
}

/** The upload's bytes: the body itself, or the first part of a multipart form that carries a file name. */
function fileBytes(contentType: string, body: Buffer): Buffer | undefined {
  const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return body;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0 && /filename=/i.test(part.subarray(0, split).toString('latin1'))) return part.subarray(split + 4);
    start = next;
  }
  return undefined;
}

function readBytes(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
