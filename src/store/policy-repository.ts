import type { Kysely } from 'kysely';
import { type ChangePolicy, ConflictError, NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { ChangePolicyTable, Database } from './schema.js';
import {
  decodeCursor,
  fromJson,
  insertUnique,
  isId,
  isUniqueViolation,
  newId,
  type Page,
  type PageRequest,
  pageOf,
} from './support.js';

/** A stored change policy. */
export interface StoredPolicy {
  id: string;
  policy: ChangePolicy;
  /** The id of the environment the policy names, if it names one. */
  environmentId?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** A policy to store, with the environment it names resolved to its id. */
export interface NewPolicy {
  policy: ChangePolicy;
  environmentId?: string;
}

function toPolicy(row: ChangePolicyTable): StoredPolicy {
  return {
    id: row.id,
    policy: fromJson<ChangePolicy>(row.definition),
    ...(row.environment_id !== null && { environmentId: row.environment_id }),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** What a policy governs, as one unique text: two policies may not govern the same thing. */
function selectorOf(input: NewPolicy): string {
  return JSON.stringify([input.environmentId ?? null, input.policy.tier ?? null, input.policy.model ?? null]);
}

function describe(policy: ChangePolicy): string {
  const parts = [
    policy.environment === undefined ? undefined : `environment ${policy.environment}`,
    policy.tier === undefined ? undefined : `tier ${policy.tier}`,
    policy.model === undefined ? undefined : `model ${policy.model}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'the default policy' : parts.join(', ');
}

function duplicateMessage(policy: ChangePolicy): string {
  return `A policy for ${describe(policy)} already exists; change that one instead.`;
}

/** Change policies per environment or tier, optionally narrowed to a model. */
export class PolicyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Stores a policy; a second policy for the same environment or tier and model is a conflict. */
  async create(input: NewPolicy, actorId: string): Promise<StoredPolicy> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('change_policies')
            .values({
              id,
              selector: selectorOf(input),
              environment_id: input.environmentId ?? null,
              tier: input.policy.tier ?? null,
              model: input.policy.model ?? null,
              definition: JSON.stringify(input.policy),
              created_at: at,
              created_by: actorId,
              updated_at: at,
              updated_by: actorId,
            })
            .execute(),
        duplicateMessage(input.policy),
      );
      await this.audit.record(trx, {
        actorId,
        action: 'policy.created',
        subjectType: 'change-policy',
        subjectId: id,
        details: { policy: input.policy },
      });
    });
    return this.get(id);
  }

  /** Gets a policy by id. */
  async get(id: string): Promise<StoredPolicy> {
    const row = isId(id)
      ? await this.db.selectFrom('change_policies').selectAll().where('id', '=', id).executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('change policy', id);
    return toPolicy(row);
  }

  /** Lists policies by creation. */
  async list(page: PageRequest): Promise<Page<StoredPolicy>> {
    let query = this.db
      .selectFrom('change_policies')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    return pageOf(await query.execute(), page.limit, toPolicy);
  }

  /** Every policy (policies are few), for choosing the one that governs a deployment. */
  async all(): Promise<StoredPolicy[]> {
    const rows = await this.db.selectFrom('change_policies').selectAll().orderBy('id').execute();
    return rows.map(toPolicy);
  }

  /** Replaces a policy. */
  async update(id: string, input: NewPolicy, actorId: string): Promise<StoredPolicy> {
    const existing = await this.get(id);
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('change_policies')
          .set({
            selector: selectorOf(input),
            environment_id: input.environmentId ?? null,
            tier: input.policy.tier ?? null,
            model: input.policy.model ?? null,
            definition: JSON.stringify(input.policy),
            updated_at: this.now().toISOString(),
            updated_by: actorId,
          })
          .where('id', '=', existing.id)
          .execute();
        await this.audit.record(trx, {
          actorId,
          action: 'policy.updated',
          subjectType: 'change-policy',
          subjectId: existing.id,
          details: { policy: input.policy, previous: existing.policy },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(duplicateMessage(input.policy));
      throw error;
    }
    return this.get(existing.id);
  }

  /** Deletes a policy. */
  async delete(id: string, actorId: string): Promise<void> {
    const existing = await this.get(id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('change_policies').where('id', '=', existing.id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'policy.deleted',
        subjectType: 'change-policy',
        subjectId: existing.id,
        details: { policy: existing.policy },
      });
    });
  }
}
