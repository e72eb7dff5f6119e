import type { Kysely } from 'kysely';
import {
  ConflictError,
  type Environment,
  type Facts,
  NotFoundError,
  type Target,
  type TargetKind,
  type Tier,
} from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { Database, EnvironmentRow, TargetRow } from './schema.js';
import {
  decodeCursor,
  fromJson,
  insertUnique,
  invalidCursor,
  isId,
  newId,
  type Page,
  type PageRequest,
  pageOf,
} from './support.js';

/** An environment to create. */
export interface NewEnvironment {
  name: string;
  purpose?: string;
  tier: Tier;
  order?: number;
  attributes?: Record<string, string>;
  protected?: boolean;
}

/** Fields of an environment that may change. */
export interface EnvironmentChanges {
  purpose?: string;
  tier?: Tier;
  order?: number;
  attributes?: Record<string, string>;
  protected?: boolean;
}

/** A target to declare inside an environment. */
export interface NewTarget {
  name: string;
  kind: TargetKind;
  labels?: Record<string, string>;
  facts?: Facts;
}

/** Fields of a target that may change. */
export interface TargetChanges {
  kind?: TargetKind;
  labels?: Record<string, string>;
  facts?: Facts;
}

/** Filters of the target list. */
export interface TargetFilter {
  kind?: TargetKind;
  /** Every label given must match. */
  labels?: Record<string, string>;
}

function toEnvironment(row: EnvironmentRow): Environment {
  return {
    id: row.id,
    name: row.name,
    purpose: row.purpose,
    tier: row.tier as Tier,
    order: row.position,
    attributes: fromJson<Record<string, string>>(row.attributes),
    protected: row.protected === 1,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

function toTarget(row: TargetRow & { environment_name: string }): Target {
  return {
    id: row.id,
    environmentId: row.environment_id,
    environment: row.environment_name,
    name: row.name,
    kind: row.kind as TargetKind,
    labels: fromJson<Record<string, string>>(row.labels),
    facts: fromJson<Facts>(row.facts),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

/** Controlled environments and the targets inside them. */
export class EnvironmentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Creates an environment; without an order it goes after the last one. */
  async create(input: NewEnvironment, actorId: string): Promise<Environment> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      let order = input.order;
      if (order === undefined) {
        const last = await trx
          .selectFrom('environments')
          .select((eb) => eb.fn.max('position').as('max'))
          .executeTakeFirst();
        order = (last?.max ?? 0) + 10;
      }
      await insertUnique(
        () =>
          trx
            .insertInto('environments')
            .values({
              id,
              name: input.name,
              purpose: input.purpose ?? '',
              tier: input.tier,
              position: order,
              attributes: JSON.stringify(input.attributes ?? {}),
              protected: input.protected === true ? 1 : 0,
              created_at: at,
              created_by: actorId,
              updated_at: at,
            })
            .execute(),
        `An environment named "${input.name}" already exists.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'environment.created',
        subjectType: 'environment',
        subjectId: id,
        details: { name: input.name, tier: input.tier },
      });
    });
    return this.get(id);
  }

  /** Gets an environment by id or name. */
  async get(reference: string): Promise<Environment> {
    const row = await this.db
      .selectFrom('environments')
      .selectAll()
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('environment', reference);
    return toEnvironment(row);
  }

  /** Lists environments in flow order. */
  async list(filter: { tier?: Tier; protected?: boolean }, page: PageRequest): Promise<Page<Environment>> {
    // Environments are few; order by position and page by position then id.
    let query = this.db.selectFrom('environments').selectAll().orderBy('position').orderBy('id');
    if (filter.tier !== undefined) query = query.where('tier', '=', filter.tier);
    if (filter.protected !== undefined) query = query.where('protected', '=', filter.protected ? 1 : 0);
    const rows = await query.execute();
    const after = decodeCursor(page.cursor);
    const position = after === undefined ? -1 : rows.findIndex((row) => row.id === after);
    if (after !== undefined && position === -1) throw invalidCursor();
    const start = position + 1;
    return pageOf(rows.slice(start, start + page.limit + 1), page.limit, toEnvironment);
  }

  /** Changes an environment's description, tier, order, attributes or protection. */
  async update(reference: string, changes: EnvironmentChanges, actorId: string): Promise<Environment> {
    const environment = await this.get(reference);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('environments')
        .set({
          ...(changes.purpose !== undefined && { purpose: changes.purpose }),
          ...(changes.tier !== undefined && { tier: changes.tier }),
          ...(changes.order !== undefined && { position: changes.order }),
          ...(changes.attributes !== undefined && { attributes: JSON.stringify(changes.attributes) }),
          ...(changes.protected !== undefined && { protected: changes.protected ? 1 : 0 }),
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', environment.id)
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'environment.updated',
        subjectType: 'environment',
        subjectId: environment.id,
        details: { ...changes },
      });
    });
    return this.get(environment.id);
  }

  /** Deletes an empty environment; one with targets or deployment records is refused. */
  async delete(reference: string, actorId: string): Promise<void> {
    const environment = await this.get(reference);
    await this.db.transaction().execute(async (trx) => {
      const targets = await trx
        .selectFrom('targets')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('environment_id', '=', environment.id)
        .executeTakeFirstOrThrow();
      if (Number(targets.count) > 0) {
        throw new ConflictError(
          `Environment ${environment.name} still has ${targets.count} target(s); delete or move them first.`,
          { targets: Number(targets.count) },
          'environment_in_use',
        );
      }
      const recorded = await trx
        .selectFrom('deployments')
        .select('id')
        .where('environment_id', '=', environment.id)
        .limit(1)
        .executeTakeFirst();
      if (recorded !== undefined) {
        throw new ConflictError(
          `Environment ${environment.name} has deployment records, which are kept for audit; it cannot be deleted.`,
          { deployments: true },
          'environment_in_use',
        );
      }
      await trx.deleteFrom('deployment_matrix').where('environment_id', '=', environment.id).execute();
      await trx.deleteFrom('environments').where('id', '=', environment.id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'environment.deleted',
        subjectType: 'environment',
        subjectId: environment.id,
        details: { name: environment.name },
      });
    });
  }

  /** Declares a target inside an environment; names are unique per environment. */
  async createTarget(environmentReference: string, input: NewTarget, actorId: string): Promise<Target> {
    const environment = await this.get(environmentReference);
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('targets')
            .values({
              id,
              environment_id: environment.id,
              name: input.name,
              kind: input.kind,
              labels: JSON.stringify(input.labels ?? {}),
              facts: JSON.stringify(input.facts ?? {}),
              created_at: at,
              created_by: actorId,
              updated_at: at,
            })
            .execute(),
        `Environment ${environment.name} already has a target named "${input.name}".`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'target.created',
        subjectType: 'target',
        subjectId: id,
        details: { environment: environment.name, name: input.name, kind: input.kind },
      });
    });
    return this.getTarget(environment.id, id);
  }

  private targetQuery() {
    return this.db
      .selectFrom('targets')
      .innerJoin('environments', 'environments.id', 'targets.environment_id')
      .selectAll('targets')
      .select('environments.name as environment_name');
  }

  /** Gets a target of an environment by id or name. */
  async getTarget(environmentReference: string, targetReference: string): Promise<Target> {
    const environment = await this.get(environmentReference);
    const row = await this.targetQuery()
      .where('targets.environment_id', '=', environment.id)
      .where(isId(targetReference) ? 'targets.id' : 'targets.name', '=', targetReference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('target', `${environment.name}/${targetReference}`);
    return toTarget(row);
  }

  /** Lists the targets of an environment by creation, filtered by kind and labels. */
  async listTargets(
    environmentReference: string,
    filter: TargetFilter,
    page: PageRequest,
  ): Promise<Page<Target>> {
    const environment = await this.get(environmentReference);
    let query = this.targetQuery().where('targets.environment_id', '=', environment.id).orderBy('targets.id');
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('targets.id', '>', after);
    if (filter.kind !== undefined) query = query.where('targets.kind', '=', filter.kind);
    const wanted = Object.entries(filter.labels ?? {});
    if (wanted.length === 0) return pageOf(await query.limit(page.limit + 1).execute(), page.limit, toTarget);
    // Label matching happens here so that both dialects share it; environments hold few targets.
    const rows = (await query.execute()).filter((row) => {
      const labels = fromJson<Record<string, string>>(row.labels);
      return wanted.every(([key, value]) => labels[key] === value);
    });
    return pageOf(rows.slice(0, page.limit + 1), page.limit, toTarget);
  }

  /** Every target of an environment, by name. */
  async allTargets(environmentId: string): Promise<Target[]> {
    const rows = await this.targetQuery()
      .where('targets.environment_id', '=', environmentId)
      .orderBy('targets.name')
      .execute();
    return rows.map(toTarget);
  }

  /** Every environment, in flow order. */
  async all(): Promise<Environment[]> {
    const rows = await this.db
      .selectFrom('environments')
      .selectAll()
      .orderBy('position')
      .orderBy('id')
      .execute();
    return rows.map(toEnvironment);
  }

  /** Changes a target's kind, labels or declared facts. */
  async updateTarget(
    environmentReference: string,
    targetReference: string,
    changes: TargetChanges,
    actorId: string,
  ): Promise<Target> {
    const target = await this.getTarget(environmentReference, targetReference);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('targets')
        .set({
          ...(changes.kind !== undefined && { kind: changes.kind }),
          ...(changes.labels !== undefined && { labels: JSON.stringify(changes.labels) }),
          ...(changes.facts !== undefined && { facts: JSON.stringify(changes.facts) }),
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', target.id)
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'target.updated',
        subjectType: 'target',
        subjectId: target.id,
        details: { ...changes },
      });
    });
    return this.getTarget(target.environmentId, target.id);
  }

  /** Removes a target from its environment. */
  async deleteTarget(environmentReference: string, targetReference: string, actorId: string): Promise<void> {
    const target = await this.getTarget(environmentReference, targetReference);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('targets').where('id', '=', target.id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'target.deleted',
        subjectType: 'target',
        subjectId: target.id,
        details: { environment: target.environment, name: target.name },
      });
    });
  }
}
