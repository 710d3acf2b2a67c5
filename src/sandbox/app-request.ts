/** What the app answered a request Slack delivered. */
export interface AppResponse {
  status: number;
  /** Parsed JSON when the app answered JSON, else the text; '' when empty. */
  body: unknown;
  durationMs: number;
}

/**
 * POSTs a request to the app as Slack delivers it (the caller signs it and sets Slack's headers) and reads
 * the answer: parsed JSON when the app answered JSON, else the text. Timed from send to the whole answer.
 */
export async function postToApp(url: string, rawBody: string, headers: Record<string, string>): Promise<AppResponse> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const text = await res.text();
  const durationMs = performance.now() - started;
  let body: unknown = text;
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { status: res.status, body, durationMs };
}
