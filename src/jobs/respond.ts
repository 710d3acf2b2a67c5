/**
 * Answers the person who typed a slash command, privately, through its response_url (valid 30 minutes, five
 * times): for an answer a job works out after the command was acked.
 */
export async function respondPrivately(url: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', ...body }) });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
