import type { Logger } from 'pino';
import type { SandboxConfig } from '../config.js';
import type { Policy } from '../domain/policy.js';

export interface Sandbox {
  /** The #releases page, e.g. http://localhost:3000/ */
  url: string;
  stop(): Promise<void>;
}

/** Starts tminus for real against in-process stand-ins for Slack and GitHub, with the #releases page. */
export async function startSandbox(_options: { config: SandboxConfig; policy: Policy; log: Logger }): Promise<Sandbox> {
  throw new Error('the sandbox is being built');
}
