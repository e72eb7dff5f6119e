import {
  type AuthorizationDecision,
  type ChangePolicy,
  decideAuthorization,
  type PolicyEnvironment,
  parseChangePolicy,
  selectChangePolicy,
} from '../domain/index.js';
import type { NewPolicy, Page, PageRequest, Store, StoredPolicy } from '../store/index.js';

/** A change policy as the API shows it. */
export type PolicyView = ChangePolicy & {
  id: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
};

/** The policy that governs a model's deployments into an environment, and that environment. */
export interface EffectivePolicy {
  environment: PolicyEnvironment;
  model: string;
  /** Absent when no policy matches: then no change is needed. */
  policy?: PolicyView;
}

/** The API view of a stored policy. */
export function policyView(stored: StoredPolicy): PolicyView {
  return {
    id: stored.id,
    ...stored.policy,
    createdAt: stored.createdAt,
    createdBy: stored.createdBy,
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
  };
}

/** Change policies: CRUD, and which one governs a deployment (`policyFor`, `decide`). */
export class PolicyCommands {
  constructor(private readonly store: Store) {}

  private async resolve(value: unknown): Promise<NewPolicy> {
    const policy = parseChangePolicy(value);
    const environmentId =
      policy.environment === undefined
        ? undefined
        : (await this.store.environments.get(policy.environment)).id;
    return { policy, ...(environmentId !== undefined && { environmentId }) };
  }

  /** Creates a policy; a second one for the same environment or tier and model is a conflict. */
  async create(value: unknown, actorId: string): Promise<PolicyView> {
    return policyView(await this.store.policies.create(await this.resolve(value), actorId));
  }

  /** Replaces a policy. */
  async update(id: string, value: unknown, actorId: string): Promise<PolicyView> {
    return policyView(await this.store.policies.update(id, await this.resolve(value), actorId));
  }

  /** Deletes a policy. */
  async delete(id: string, actorId: string): Promise<void> {
    await this.store.policies.delete(id, actorId);
  }

  /** Shows a policy. */
  async get(id: string): Promise<PolicyView> {
    return policyView(await this.store.policies.get(id));
  }

  /** Lists policies by creation. */
  async list(page: PageRequest): Promise<Page<PolicyView>> {
    const listed = await this.store.policies.list(page);
    return { ...listed, items: listed.items.map(policyView) };
  }

  /**
   * The most specific policy governing deployments by `model` into `environment` (id or name):
   * environment and model, environment, tier and model, tier, model, default.
   */
  async policyFor(model: string, environment: string): Promise<EffectivePolicy> {
    const found = await this.store.environments.get(environment);
    const subject: PolicyEnvironment = { name: found.name, tier: found.tier, protected: found.protected };
    const stored = await this.store.policies.all();
    const chosen = selectChangePolicy(
      stored.map((entry) => entry.policy),
      { model, environment: subject },
    );
    const match = stored.find((entry) => entry.policy === chosen);
    return { environment: subject, model, ...(match !== undefined && { policy: policyView(match) }) };
  }

  /**
   * What change enablement decides about a deployment now: its model, environment, governing
   * policy and linked change, through the domain's `decideAuthorization`. The engine asks this
   * before a deployment leaves awaiting-authorization.
   */
  async decide(deploymentId: string): Promise<AuthorizationDecision> {
    const entry = await this.store.plans.get(deploymentId);
    const { policy, environment } = await this.policyFor(entry.model, entry.environmentId);
    const [change] = entry.changeId === undefined ? [] : await this.store.changes.byIds([entry.changeId]);
    return decideAuthorization(policy, {
      model: entry.model,
      environment,
      ...(change !== undefined && {
        change: {
          id: change.number,
          type: change.type,
          state: change.state,
          retroactiveReview: change.retroactiveReview,
        },
      }),
    });
  }
}
