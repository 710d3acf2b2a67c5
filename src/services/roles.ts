import type { WebClient } from '@slack/web-api';
import { ROLE_NAMES, type Policy, type RoleName } from '../domain/policy.js';

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * Who holds each of the guide's roles: the Slack users the policy names, and the members of the Slack
 * user groups it names (resolved through the Slack API, cached for `policy.roleCacheTtl`).
 */
export class RoleDirectory {
  private groupIds?: Cached<Map<string, string>>;
  private readonly members = new Map<string, Cached<string[]>>();

  constructor(
    private readonly slack: WebClient,
    private readonly policy: Policy,
    private readonly now: () => number = Date.now,
  ) {}

  async rolesOf(userId: string): Promise<RoleName[]> {
    const held: RoleName[] = [];
    for (const role of ROLE_NAMES) {
      if ((await this.holders(role)).includes(userId)) held.push(role);
    }
    return held;
  }

  /** The Slack user ids holding `role`, named directly or through a group. */
  async holders(role: RoleName): Promise<string[]> {
    const { users, groups } = this.policy.roles[role];
    const fromGroups = await Promise.all(groups.map((handle) => this.groupMembers(handle)));
    return [...new Set([...users, ...fromGroups.flat()])];
  }

  /** Whether the policy names anyone at all for one of `roles` (groups count as someone). */
  hasAnyone(roles: readonly RoleName[]): boolean {
    return roles.some((r) => this.policy.roles[r].users.length > 0 || this.policy.roles[r].groups.length > 0);
  }

  private async groupMembers(handle: string): Promise<string[]> {
    const cached = this.members.get(handle);
    if (cached && cached.until > this.now()) return cached.value;
    const id = (await this.groupIdsByHandle()).get(handle);
    const value = id ? ((await this.slack.usergroups.users.list({ usergroup: id })).users ?? []) : [];
    this.members.set(handle, { value, until: this.now() + this.policy.roleCacheTtl });
    return value;
  }

  private async groupIdsByHandle(): Promise<Map<string, string>> {
    if (this.groupIds && this.groupIds.until > this.now()) return this.groupIds.value;
    const { usergroups = [] } = await this.slack.usergroups.list({});
    const value = new Map(usergroups.flatMap((g) => (g.handle && g.id ? [[g.handle, g.id] as const] : [])));
    this.groupIds = { value, until: this.now() + this.policy.roleCacheTtl };
    return value;
  }
}
