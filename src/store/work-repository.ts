import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** A claimed piece of engine work: look at this deployment, writing only with this fence. */
export interface ClaimedWork {
  deploymentId: string;
  fence: number;
  dueAt: string;
}

/**
 * The engine's due work. A node claims due items in small batches with a lease; each claim
 * raises the item's fence, so a node whose lease lapsed can no longer commit for it.
 */
export class WorkRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Claims up to `limit` due items for `owner` until now + leaseMilliseconds. */
  async claim(owner: string, limit: number, leaseMilliseconds: number): Promise<ClaimedWork[]> {
    const now = this.now();
    const nowText = now.toISOString();
    const until = new Date(now.getTime() + leaseMilliseconds).toISOString();
    // PostgreSQL nodes skip rows another node is claiming; SQLite has one writer, the same statement works without it.
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<{ deployment_id: string; fence: number; due_at: string }>`
      update engine_work
         set lease_owner = ${owner}, lease_until = ${until}, fence = fence + 1
       where deployment_id in (
             select deployment_id from engine_work
              where due_at <= ${nowText} and (lease_until is null or lease_until < ${nowText})
              order by due_at
              limit ${limit}
              ${lock})
      returning deployment_id, fence, due_at`.execute(this.db);
    return result.rows.map((row) => ({
      deploymentId: row.deployment_id,
      fence: Number(row.fence),
      dueAt: row.due_at,
    }));
  }

  /** Extends a lease while long work (a running step) is under way; false when it was lost. */
  async renew(owner: string, work: ClaimedWork, leaseMilliseconds: number): Promise<boolean> {
    const until = new Date(this.now().getTime() + leaseMilliseconds).toISOString();
    const result = await this.db
      .updateTable('engine_work')
      .set({ lease_until: until, lease_owner: owner })
      .where('deployment_id', '=', work.deploymentId)
      .where('fence', '=', work.fence)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Releases every lease (a single-node store at start: this process owns all work). */
  async releaseAll(): Promise<number> {
    const result = await this.db
      .updateTable('engine_work')
      .set({ lease_owner: null, lease_until: null })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** When the next item becomes due, if any. */
  async nextDueAt(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('engine_work')
      .select((eb) => eb.fn.min('due_at').as('due_at'))
      .executeTakeFirst();
    return row?.due_at == null ? undefined : new Date(row.due_at);
  }

  /** Number of items waiting, for metrics and tests. */
  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('engine_work')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
