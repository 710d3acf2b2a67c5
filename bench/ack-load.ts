/**
 * The load for the ack bench, in a process of its own (so the stand-ins' work and the bench's own never
 * sit in the way of a measured request): signed `/release <text>` at a steady rate to tminus and to the
 * bare Bolt app at once, each request to one answered half a period before the same to the other, so
 * both see the machine as it is at the same moment. Prints one JSON line: each target's latencies (ms).
 *
 * argv[2]: {"targets":{"tminus":url,"bare":url},"text":"status","n":3000,"perSecond":200,"signingSecret":"…"}
 */
import http from 'node:http';
import { signSlackRequest } from '../src/sandbox/slack.js';

interface Plan {
  targets: Record<string, string>;
  text: string;
  n: number;
  perSecond: number;
  signingSecret: string;
  userId?: string;
  channelId?: string;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const agent = new http.Agent({ keepAlive: true });

function body(text: string, i: number): string {
  return new URLSearchParams({
    token: 'bench',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: plan.channelId ?? 'C0RELEASES',
    channel_name: 'releases',
    user_id: plan.userId ?? 'U0ENG',
    user_name: 'bench',
    command: '/release',
    text,
    api_app_id: 'A0TMINUS',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/commands/bench',
    trigger_id: `bench.${process.pid}.${i}`,
  }).toString();
}

/** One signed request; ms from send to the whole answer. */
function send(url: string, raw: string): Promise<number> {
  const { signature, timestamp } = signSlackRequest(plan.signingSecret, raw, Date.now() / 1000);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(raw), 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    });
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${url} answered ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(raw);
  });
}

const names = Object.keys(plan.targets);
const latencies: Record<string, Promise<number>[]> = Object.fromEntries(names.map((n) => [n, []]));
const period = 1000 / plan.perSecond;
const start = performance.now() + 50;
// Each target at `perSecond`, the targets' requests spread evenly over the period; which goes first alternates.
for (let i = 0; i < plan.n; i++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length]!;
    const due = start + i * period + (k * period) / names.length;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    latencies[name]!.push(send(plan.targets[name]!, body(plan.text, i)));
  }
}
const out: Record<string, number[]> = {};
for (const name of names) out[name] = await Promise.all(latencies[name]!);
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
