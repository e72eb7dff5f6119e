import type { Kysely } from 'kysely';
import type { AuditEvent } from '../domain/index.js';
import type { Database } from './schema.js';
import { decodeCursor, fromJson, newId, type Page, type PageRequest, pageOf } from './support.js';

/** What a write records about itself in the audit trail. */
export interface AuditEntry {
  actorId: string | undefined;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

/** Filters of the audit trail. */
export interface AuditFilter {
  actorId?: string;
  subjectType?: string;
  subjectId?: string;
  action?: string;
}

/** The audit trail: who changed what, written in the same transaction as the change. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  /** Appends an entry using the caller's transaction. */
  async record(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
    await db
      .insertInto('audit_events')
      .values({
        id: newId(),
        at: this.now().toISOString(),
        actor_id: entry.actorId ?? null,
        action: entry.action,
        subject_type: entry.subjectType,
        subject_id: entry.subjectId,
        details: JSON.stringify(entry.details ?? {}),
      })
      .execute();
  }

  /** Lists entries oldest first. */
  async list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
    if (filter.subjectType !== undefined) query = query.where('subject_type', '=', filter.subjectType);
    if (filter.subjectId !== undefined) query = query.where('subject_id', '=', filter.subjectId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    return pageOf(await query.execute(), page.limit, (row) => ({
      id: row.id,
      at: row.at,
      ...(row.actor_id !== null && { actorId: row.actor_id }),
      action: row.action,
      subjectType: row.subject_type,
      subjectId: row.subject_id,
      details: fromJson<Record<string, unknown>>(row.details),
    }));
  }
}
