import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, type WindowDefinition, type WindowKind } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { Database, WindowTable } from './schema.js';
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

/** A stored maintenance window or freeze: its definition as written, and who keeps it. */
export interface StoredWindow {
  id: string;
  name: string;
  kind: WindowKind;
  definition: WindowDefinition;
  environmentId?: string;
  serviceId?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** A window to store: a validated definition and its scope resolved to ids. */
export interface NewWindow {
  definition: WindowDefinition;
  environmentId?: string;
  serviceId?: string;
}

/** Filters of the window list. */
export interface WindowFilter {
  kind?: WindowKind;
  environmentId?: string;
  serviceId?: string;
}

function toWindow(row: WindowTable): StoredWindow {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as WindowKind,
    definition: fromJson<WindowDefinition>(row.definition),
    ...(row.environment_id !== null && { environmentId: row.environment_id }),
    ...(row.service_id !== null && { serviceId: row.service_id }),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Maintenance windows and freeze periods. Names are unique: conflicts name windows by them. */
export class WindowRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Stores a new window; a taken name is a conflict. */
  async create(input: NewWindow, actorId: string): Promise<StoredWindow> {
    const id = newId();
    const at = this.now().toISOString();
    const { definition } = input;
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('windows')
            .values({
              id,
              name: definition.name,
              kind: definition.kind,
              definition: JSON.stringify(definition),
              environment_id: input.environmentId ?? null,
              service_id: input.serviceId ?? null,
              created_at: at,
              created_by: actorId,
              updated_at: at,
              updated_by: actorId,
            })
            .execute(),
        `A window named "${definition.name}" already exists; choose another name or change that window.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'window.created',
        subjectType: 'window',
        subjectId: id,
        details: { name: definition.name, kind: definition.kind },
      });
    });
    return this.get(id);
  }

  /** Gets a window by id or name. */
  async get(reference: string): Promise<StoredWindow> {
    const row = await this.db
      .selectFrom('windows')
      .selectAll()
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('window', reference);
    return toWindow(row);
  }

  /** Lists windows by creation. */
  async list(filter: WindowFilter, page: PageRequest): Promise<Page<StoredWindow>> {
    let query = this.db
      .selectFrom('windows')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    if (filter.environmentId !== undefined) query = query.where('environment_id', '=', filter.environmentId);
    if (filter.serviceId !== undefined) query = query.where('service_id', '=', filter.serviceId);
    return pageOf(await query.execute(), page.limit, toWindow);
  }

  /** Every window, for occurrence and conflict computations (windows are few). */
  async all(): Promise<StoredWindow[]> {
    const rows = await this.db.selectFrom('windows').selectAll().orderBy('id').execute();
    return rows.map(toWindow);
  }

  /** Replaces a window's definition (its name may change, to one not taken). */
  async update(reference: string, input: NewWindow, actorId: string): Promise<StoredWindow> {
    const existing = await this.get(reference);
    const { definition } = input;
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('windows')
          .set({
            name: definition.name,
            kind: definition.kind,
            definition: JSON.stringify(definition),
            environment_id: input.environmentId ?? null,
            service_id: input.serviceId ?? null,
            updated_at: this.now().toISOString(),
            updated_by: actorId,
          })
          .where('id', '=', existing.id)
          .execute();
        await this.audit.record(trx, {
          actorId,
          action: 'window.updated',
          subjectType: 'window',
          subjectId: existing.id,
          details: { name: definition.name, previousName: existing.name, kind: definition.kind },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`A window named "${definition.name}" already exists; choose another name.`);
      }
      throw error;
    }
    return this.get(existing.id);
  }

  /** Deletes a window. */
  async delete(reference: string, actorId: string): Promise<void> {
    const existing = await this.get(reference);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('windows').where('id', '=', existing.id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'window.deleted',
        subjectType: 'window',
        subjectId: existing.id,
        details: { name: existing.name, kind: existing.kind, definition: existing.definition },
      });
    });
  }
}
