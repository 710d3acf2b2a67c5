import type { EnvironmentView, EnvironmentWithRulesView, UserView } from './types.js';

/**
 * Deployment environments with required reviewers. A job that targets an environment protected when
 * it would have started waits for one of the reviewers to approve or reject it.
 */

export interface Environment {
  id: number;
  name: string;
  /** Logins; any one of them may review. None: the environment protects nothing. */
  reviewers: string[];
  /** When protection began: jobs that would have started before then run without review. */
  protectedAt: number;
  /** When it was created (by protecting it, by defining it, or by a run's job naming it). */
  createdAt: number;
  /** When its reviewers were last set. */
  updatedAt: number;
}

export interface EnvironmentsSnapshot {
  list: Environment[];
  userIds: Map<string, number>;
  nextId: number;
  nextUserId: number;
}

export class Environments {
  private readonly list: Environment[] = [];
  private readonly userIds = new Map<string, number>();
  private nextId = 80_000_001;
  private nextUserId = 91_000_001;

  constructor(
    /** `api` and `web` as in RepoLinks. */
    private readonly links: { api: string; web: string },
    private readonly clock: () => number,
  ) {}

  snapshot(): EnvironmentsSnapshot {
    return structuredClone({ list: this.list, userIds: this.userIds, nextId: this.nextId, nextUserId: this.nextUserId });
  }

  restore(snapshot: EnvironmentsSnapshot): void {
    const copy = structuredClone(snapshot);
    this.list.splice(0, this.list.length, ...copy.list);
    this.userIds.clear();
    for (const [login, id] of copy.userIds) this.userIds.set(login, id);
    this.nextId = copy.nextId;
    this.nextUserId = copy.nextUserId;
  }

  /** Protects `name` (creating it if needed) with these reviewers; protecting again replaces them. */
  protect(name: string, reviewers: string[]): Environment {
    if (reviewers.length === 0) throw new Error(`Environment ${name} needs at least one reviewer`);
    for (const login of reviewers) this.userId(login);
    const existing = this.byName(name);
    if (existing !== undefined) {
      // An environment that protected nothing is protected from now on, not retroactively.
      if (existing.reviewers.length === 0) existing.protectedAt = this.clock();
      existing.reviewers = [...reviewers];
      existing.updatedAt = this.clock();
      return existing;
    }
    const at = this.clock();
    const environment: Environment = { id: this.nextId++, name, reviewers: [...reviewers], protectedAt: at, createdAt: at, updatedAt: at };
    this.list.push(environment);
    return environment;
  }

  /** The environment `name`, created without protection if it does not exist (as GitHub does for a job naming it). */
  ensure(name: string): Environment {
    const existing = this.byName(name);
    if (existing !== undefined) return existing;
    const at = this.clock();
    const environment: Environment = { id: this.nextId++, name, reviewers: [], protectedAt: Infinity, createdAt: at, updatedAt: at };
    this.list.push(environment);
    return environment;
  }

  byName(name: string): Environment | undefined {
    return this.list.find((e) => e.name === name);
  }

  byId(id: number): Environment | undefined {
    return this.list.find((e) => e.id === id);
  }

  /** The environment if a job targeting `name` and starting at `at` has to wait for a review. */
  gateAt(name: string | undefined, at: number): Environment | undefined {
    if (name === undefined) return undefined;
    const environment = this.byName(name);
    return environment !== undefined && environment.reviewers.length > 0 && environment.protectedAt <= at ? environment : undefined;
  }

  view(environment: Environment): EnvironmentView {
    return {
      id: environment.id,
      node_id: `EN_${Buffer.from(String(environment.id)).toString('base64url')}`,
      name: environment.name,
      url: `${this.links.api}/environments/${encodeURIComponent(environment.name)}`,
      html_url: `${this.links.web}/deployments/activity_log?environments_filter=${encodeURIComponent(environment.name)}`,
    };
  }

  /** As the review history (GET …/approvals) lists an environment: with its timestamps. */
  datedView(environment: Environment): EnvironmentView & { created_at: string; updated_at: string } {
    return { ...this.view(environment), created_at: new Date(environment.createdAt).toISOString(), updated_at: new Date(environment.updatedAt).toISOString() };
  }

  /** As GET /repos/{owner}/{repo}/environments/{name} answers: required reviewers are its one kind of protection rule here. */
  fullView(environment: Environment): EnvironmentWithRulesView {
    const rules: EnvironmentWithRulesView['protection_rules'] =
      environment.reviewers.length === 0
        ? []
        : [
            {
              id: environment.id + 1_000_000,
              node_id: `GA_${Buffer.from(String(environment.id + 1_000_000)).toString('base64url')}`,
              prevent_self_review: false,
              type: 'required_reviewers',
              reviewers: environment.reviewers.map((login) => ({ type: 'User' as const, reviewer: this.user(login) })),
            },
          ];
    return { ...this.datedView(environment), protection_rules: rules, deployment_branch_policy: null };
  }

  user(login: string): UserView {
    const origin = new URL(this.links.web).origin;
    const id = this.userId(login);
    return {
      login,
      id,
      node_id: `U_${Buffer.from(String(id)).toString('base64url')}`,
      avatar_url: `${origin}/avatars/${login}`,
      gravatar_id: '',
      url: `${origin}/users/${login}`,
      html_url: `${origin}/${login}`,
      type: 'User',
      site_admin: false,
    };
  }

  private userId(login: string): number {
    let id = this.userIds.get(login);
    if (id === undefined) {
      id = this.nextUserId++;
      this.userIds.set(login, id);
    }
    return id;
  }
}
