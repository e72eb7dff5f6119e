import {
  type ChangeOutcome,
  type ChangeState,
  ChangeState as ChangeStates,
  createChange,
  linkDeployment,
  NotFoundError,
  transitionChange,
} from '../domain/index.js';
import type { ChangeFilter, NumberedChange, Page, PageRequest, Store } from '../store/index.js';

/** What a transition of a change carries besides its target state. */
export interface ChangeStep {
  reason?: string;
  outcome?: ChangeOutcome;
}

/**
 * Change requests: creation, the lifecycle (authorize, reject, schedule, implement, close,
 * cancel) as the domain's transition table allows it, and the deployments they cover. An
 * external change system authorizes through the same command, with its own principal.
 */
export class ChangeCommands {
  constructor(private readonly store: Store) {}

  /** Creates a change request (a standard change starts authorized) and links its deployments. */
  async create(value: unknown, actorId: string): Promise<NumberedChange> {
    const at = this.store.now().getTime();
    return this.store.changes.create((id) => createChange(value, { id, at, requestedBy: actorId }), actorId);
  }

  /** Shows a change by id or number (CHG-0001). */
  async get(reference: string): Promise<NumberedChange> {
    return this.store.changes.get(reference);
  }

  /** Lists changes by creation, by state or type. */
  async list(filter: ChangeFilter, page: PageRequest): Promise<Page<NumberedChange>> {
    return this.store.changes.list(filter, page);
  }

  /**
   * Moves a change to another state; fails with `invalid_transition` when the table does not
   * allow it, and with `validation_failed` when a rejection lacks a reason or a closing its outcome.
   */
  async transition(
    reference: string,
    to: ChangeState,
    step: ChangeStep,
    actorId: string,
  ): Promise<NumberedChange> {
    const current = await this.store.changes.get(reference);
    const next = transitionChange(current, to, {
      at: this.store.now().getTime(),
      by: actorId,
      ...(step.reason !== undefined && { reason: step.reason }),
      ...(step.outcome !== undefined && { outcome: step.outcome }),
    });
    return this.store.changes.save(
      current,
      next,
      {
        action: `change.${to}`,
        details: {
          from: current.state,
          ...(step.reason !== undefined && { reason: step.reason }),
          ...(step.outcome !== undefined && { outcome: step.outcome }),
          ...(next.retroactiveReview && !current.retroactiveReview && { retroactiveReview: true }),
        },
      },
      actorId,
    );
  }

  /** Authorizes a change: a change authority, or an external change system with its own token. */
  async authorize(reference: string, actorId: string, reason?: string): Promise<NumberedChange> {
    return this.transition(
      reference,
      ChangeStates.authorized,
      reason === undefined ? {} : { reason },
      actorId,
    );
  }

  /** Links a deployment to an open change (sets the deployment's change). */
  async link(reference: string, deploymentId: string, actorId: string): Promise<NumberedChange> {
    const current = await this.store.changes.get(reference);
    // The deployment must exist before the change lists it.
    await this.store.changes.changeOfDeployment(deploymentId);
    const next = linkDeployment(current, deploymentId);
    if (next === current) return current;
    return this.store.changes.save(
      current,
      { ...next, updatedAt: this.store.now().toISOString() },
      { action: 'change.deployment-linked', details: { deploymentId } },
      actorId,
      { link: deploymentId },
    );
  }

  /** Unlinks a deployment from a change. */
  async unlink(reference: string, deploymentId: string, actorId: string): Promise<NumberedChange> {
    const current = await this.store.changes.get(reference);
    if (!current.deployments.includes(deploymentId)) {
      throw new NotFoundError(`deployment of change ${current.number}`, deploymentId);
    }
    const next = {
      ...current,
      deployments: current.deployments.filter((id) => id !== deploymentId),
      updatedAt: this.store.now().toISOString(),
    };
    return this.store.changes.save(
      current,
      next,
      { action: 'change.deployment-unlinked', details: { deploymentId } },
      actorId,
      { unlink: deploymentId },
    );
  }
}
