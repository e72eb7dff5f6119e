import type { Kysely } from 'kysely';
import {
  type ChangeRequest,
  type ChangeState,
  type ChangeType,
  ConflictError,
  NotFoundError,
} from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { ChangeRequestTable, Database } from './schema.js';
import {
  decodeCursor,
  fromJson,
  isId,
  isUniqueViolation,
  newId,
  type Page,
  type PageRequest,
  pageOf,
} from './support.js';

/** A change request with the number people call it by (CHG-0001). */
export type NumberedChange = ChangeRequest & { number: string };

/** Filters of the change list. */
export interface ChangeFilter {
  state?: ChangeState;
  type?: ChangeType;
}

/** What a save writes to the audit trail. */
export interface ChangeAudit {
  action: string;
  details?: Record<string, unknown>;
}

/** A deployment linked to, or unlinked from, a change in the same transaction as the change. */
export interface ChangeLinkUpdate {
  link?: string;
  unlink?: string;
}

const numberPattern = /^CHG-([0-9]{1,9})$/i;
const numberAttempts = 5;

/** The number of a change as people write it. */
export function changeNumber(sequence: number): string {
  return `CHG-${String(sequence).padStart(4, '0')}`;
}

function toChange(row: ChangeRequestTable): NumberedChange {
  return { ...fromJson<ChangeRequest>(row.entity), number: changeNumber(Number(row.number)) };
}

/**
 * Change requests: the entity as the domain builds it, stored whole, with its state, type and a
 * per-store sequence number in columns. Every save checks that nobody saved the change in
 * between, and links deployments (their change_id) in the same transaction.
 */
export class ChangeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Stores a new change built by `make` from its id, numbered next in this store, and links its deployments. */
  async create(make: (id: string) => ChangeRequest, actorId: string): Promise<NumberedChange> {
    const id = newId();
    const change = make(id);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.db.transaction().execute(async (trx) => {
          const highest = await trx
            .selectFrom('change_requests')
            .select((eb) => eb.fn.max('number').as('highest'))
            .executeTakeFirst();
          const sequence = Number(highest?.highest ?? 0) + 1;
          await trx
            .insertInto('change_requests')
            .values({
              id,
              number: sequence,
              type: change.type,
              state: change.state,
              entity: JSON.stringify(change),
              requested_by: change.requestedBy,
              created_at: change.createdAt,
              updated_at: change.updatedAt,
            })
            .execute();
          for (const deploymentId of change.deployments) await this.linkIn(trx, id, deploymentId);
          await this.audit.record(trx, {
            actorId,
            action: 'change.created',
            subjectType: 'change',
            subjectId: id,
            details: { number: changeNumber(sequence), type: change.type, state: change.state },
          });
        });
        return this.get(id);
      } catch (error) {
        // Two requests took the same next number at once: the loser numbers again.
        if (!isUniqueViolation(error) || attempt >= numberAttempts) throw error;
      }
    }
  }

  /** Gets a change by id or by number (CHG-0001). */
  async get(reference: string): Promise<NumberedChange> {
    const numbered = numberPattern.exec(reference);
    let query = this.db.selectFrom('change_requests').selectAll();
    if (numbered !== null) query = query.where('number', '=', Number(numbered[1]));
    else if (isId(reference)) query = query.where('id', '=', reference);
    else throw new NotFoundError('change', reference);
    const row = await query.executeTakeFirst();
    if (row === undefined) throw new NotFoundError('change', reference);
    return toChange(row);
  }

  /** Lists changes by creation. */
  async list(filter: ChangeFilter, page: PageRequest): Promise<Page<NumberedChange>> {
    let query = this.db
      .selectFrom('change_requests')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    return pageOf(await query.execute(), page.limit, toChange);
  }

  /** The changes with these ids (for the schedule and authorization); unknown ids are left out. */
  async byIds(ids: readonly string[]): Promise<NumberedChange[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('change_requests').selectAll().where('id', 'in', ids).execute();
    return rows.map(toChange);
  }

  /**
   * Saves the next version of a change read as `previous`, with its audit entry and a deployment
   * linked or unlinked. Fails with a conflict when the change was saved by someone else since.
   */
  async save(
    previous: NumberedChange,
    next: ChangeRequest,
    audit: ChangeAudit,
    actorId: string,
    links: ChangeLinkUpdate = {},
  ): Promise<NumberedChange> {
    const { number: _number, ...entity } = { ...next, number: previous.number };
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('change_requests')
        .set({ state: next.state, entity: JSON.stringify(entity), updated_at: next.updatedAt })
        .where('id', '=', previous.id)
        .where('state', '=', previous.state)
        .where('updated_at', '=', previous.updatedAt)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        throw new ConflictError(
          `Change ${previous.number} was changed by someone else meanwhile; read it again and retry.`,
          { change: previous.number },
        );
      }
      if (links.link !== undefined) await this.linkIn(trx, previous.id, links.link);
      if (links.unlink !== undefined) {
        await trx
          .updateTable('deployments')
          .set({ change_id: null })
          .where('id', '=', links.unlink)
          .where('change_id', '=', previous.id)
          .execute();
      }
      await this.audit.record(trx, {
        actorId,
        action: audit.action,
        subjectType: 'change',
        subjectId: previous.id,
        details: { number: previous.number, state: next.state, ...audit.details },
      });
    });
    return this.get(previous.id);
  }

  /** The change a deployment belongs to, if any; fails when the deployment does not exist. */
  async changeOfDeployment(deploymentId: string): Promise<string | undefined> {
    const row = isId(deploymentId)
      ? await this.db
          .selectFrom('deployments')
          .select(['id', 'change_id'])
          .where('id', '=', deploymentId)
          .executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('deployment', deploymentId);
    return row.change_id ?? undefined;
  }

  private async linkIn(trx: Kysely<Database>, changeId: string, deploymentId: string): Promise<void> {
    const current = await this.scopeOf(trx).changeOfDeployment(deploymentId);
    if (current !== undefined && current !== changeId) {
      const other = await this.scopeOf(trx).get(current);
      throw new ConflictError(
        `Deployment ${deploymentId} belongs to change ${other.number}; unlink it there first.`,
        { deploymentId, change: other.number },
      );
    }
    await trx
      .updateTable('deployments')
      .set({ change_id: changeId })
      .where('id', '=', deploymentId)
      .execute();
  }

  private scopeOf(trx: Kysely<Database>): ChangeRepository {
    return new ChangeRepository(trx, this.now, this.audit);
  }
}
