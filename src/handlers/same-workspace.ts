import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

interface Home {
  teamId?: string;
  enterpriseId?: string;
  /** Installed org-wide on an Enterprise Grid: every workspace of that org is home. */
  enterpriseInstall: boolean;
}

const REFUSED = 'tminus serves only the Slack workspace it is installed in.';
const UNKNOWN = 'tminus could not check which workspace this came from (Slack did not answer): try again in a minute.';

/**
 * Global middleware: a request signed with tminus's secret but sent from another workspace (`team_id`) or
 * another Enterprise Grid org is refused before any listener runs. Home is what `auth.test` says of the bot
 * token, read once (again after a failure); while it cannot be read, nothing is served (fail closed).
 */
export function sameWorkspace(client: Pick<WebClient, 'auth'>, log: Logger): Middleware<AnyMiddlewareArgs> {
  let home: Promise<Home> | undefined;
  const read = () =>
    (home ??= client.auth.test().then(
      (r) => ({
        ...(r.team_id ? { teamId: r.team_id } : {}),
        ...(r.enterprise_id ? { enterpriseId: r.enterprise_id } : {}),
        enterpriseInstall: r.is_enterprise_install === true,
      }),
      (error: unknown) => {
        home = undefined;
        throw error;
      },
    ));
  // Read at start, as Bolt reads auth.test for the bot's ids: the first request does not wait for it.
  void read().catch((err: unknown) => log.warn({ err }, 'slack: auth.test failed at start; tried again at the next request'));
  return async (args) => {
    const { context, next } = args;
    let ours: Home;
    try {
      ours = await read();
    } catch (err) {
      log.warn({ err }, 'slack: auth.test failed; the request is refused until tminus knows its workspace');
      return refuse(args, UNKNOWN);
    }
    if (isHome(ours, context.teamId, context.enterpriseId)) return next();
    log.warn({ teamId: context.teamId, enterpriseId: context.enterpriseId }, 'slack: a request from another workspace was refused');
    return refuse(args, REFUSED);
  };
}

export function isHome(home: Home, teamId: string | undefined, enterpriseId: string | undefined): boolean {
  if (home.enterpriseInstall) return home.enterpriseId !== undefined && enterpriseId === home.enterpriseId;
  if (teamId === undefined || teamId !== home.teamId) return false;
  return enterpriseId === undefined || home.enterpriseId === undefined || enterpriseId === home.enterpriseId;
}

/** A command is told why (privately); a click or a modal is acked and nothing happens. */
async function refuse(args: AnyMiddlewareArgs, text: string): Promise<void> {
  const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
  if (typeof ack !== 'function') return;
  await ('command' in args ? ack({ response_type: 'ephemeral', text }) : ack());
}
