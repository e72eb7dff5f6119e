import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { AuditRepository } from './audit-repository.js';
import { CatalogRepository } from './catalog-repository.js';
import { ChangeRepository } from './change-repository.js';
import { DeploymentRepository } from './deployment-repository.js';
import { openPostgres } from './dialects/postgres.js';
import { openSqlite } from './dialects/sqlite.js';
import { EnvironmentRepository } from './environment-repository.js';
import { InboundDeliveryRepository } from './inbound-repository.js';
import { IncidentRepository } from './incident-repository.js';
import { MatrixRepository } from './matrix-repository.js';
import { migrateToLatest } from './migrate.js';
import { ModelRepository } from './model-repository.js';
import { NotificationRepository } from './notification-repository.js';
import { OutboxRepository } from './outbox-repository.js';
import { PlanRepository } from './plan-repository.js';
import { PolicyRepository } from './policy-repository.js';
import { PrincipalRepository } from './principal-repository.js';
import { RecordBus } from './record-bus.js';
import { RecordRepository } from './record-repository.js';
import type { Database } from './schema.js';
import { TaskRepository } from './task-repository.js';
import { TriggerRepository } from './trigger-repository.js';
import { WebhookRepository } from './webhook-repository.js';
import { WindowRepository } from './window-repository.js';
import { WorkRepository } from './work-repository.js';

/** Where and how to open the store. */
export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise the embedded SQLite store is used. */
  databaseUrl?: string;
  /** Directory of the embedded store's file (`slipway.db`). Ignored for PostgreSQL. */
  dataDir?: string;
  /** SQLite file path; overrides dataDir. `:memory:` is allowed. */
  sqliteFile?: string;
  /** SQLite synchronous pragma (default NORMAL). */
  synchronous?: 'NORMAL' | 'FULL';
  /** The clock every timestamp is read from (default: the system clock). */
  clock?: () => Date;
}

/** Which dialect a store runs on. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * The repositories over one database handle. The store itself is a scope over the pool;
 * `store.scope(transaction)` gives the same repositories inside a transaction, which code
 * running in a transaction must use for its reads (SQLite has one connection).
 */
export class StoreScope {
  readonly audit: AuditRepository;
  readonly principals: PrincipalRepository;
  readonly catalog: CatalogRepository;
  readonly environments: EnvironmentRepository;
  readonly models: ModelRepository;
  readonly deployments: DeploymentRepository;
  readonly records: RecordRepository;
  readonly tasks: TaskRepository;
  readonly matrix: MatrixRepository;
  readonly notifications: NotificationRepository;
  readonly outbox: OutboxRepository;
  readonly webhooks: WebhookRepository;
  readonly inbound: InboundDeliveryRepository;
  readonly windows: WindowRepository;
  readonly changes: ChangeRepository;
  readonly policies: PolicyRepository;
  readonly plans: PlanRepository;
  readonly incidents: IncidentRepository;
  readonly triggers: TriggerRepository;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    readonly now: () => Date,
    readonly bus: RecordBus,
  ) {
    this.audit = new AuditRepository(db, now);
    this.principals = new PrincipalRepository(db, now, this.audit);
    this.catalog = new CatalogRepository(db, now, this.audit);
    this.environments = new EnvironmentRepository(db, now, this.audit);
    this.models = new ModelRepository(db, now, this.audit);
    this.deployments = new DeploymentRepository(db, now, bus, dialect);
    this.records = new RecordRepository(db);
    this.tasks = new TaskRepository(db);
    this.matrix = new MatrixRepository(db);
    this.notifications = new NotificationRepository(db, now);
    this.outbox = new OutboxRepository(db, now, dialect);
    this.webhooks = new WebhookRepository(db, now, dialect, this.audit);
    this.inbound = new InboundDeliveryRepository(db, now);
    this.windows = new WindowRepository(db, now, this.audit);
    this.changes = new ChangeRepository(db, now, this.audit);
    this.policies = new PolicyRepository(db, now, this.audit);
    this.plans = new PlanRepository(db, now, this.audit);
    this.incidents = new IncidentRepository(db, now, dialect, this.audit);
    this.triggers = new TriggerRepository(db, now, this.audit);
  }
}

/** The opened store: its repositories share one connection pool and one clock. */
export class Store extends StoreScope {
  readonly work: WorkRepository;
  /** The migrations this open applied (empty when the database was current). */
  appliedMigrations: readonly string[] = [];

  private constructor(db: Kysely<Database>, dialect: DialectName, now: () => Date) {
    super(db, dialect, now, new RecordBus());
    this.work = new WorkRepository(db, now, dialect);
  }

  /** The repositories inside a transaction (reads only: writes open their own transactions). */
  scope(db: Kysely<Database>): StoreScope {
    return new StoreScope(db, this.dialect, this.now, this.bus);
  }

  /** Opens the store and applies pending migrations; refuses a database from a newer version. */
  static async open(options: StoreOptions): Promise<Store> {
    const now = options.clock ?? (() => new Date());
    const isPostgres =
      options.databaseUrl?.startsWith('postgres://') === true ||
      options.databaseUrl?.startsWith('postgresql://') === true;
    const db = isPostgres
      ? openPostgres({ connectionString: options.databaseUrl as string })
      : openSqlite({
          filename: options.sqliteFile ?? join(options.dataDir ?? '.slipway', 'slipway.db'),
          ...(options.synchronous !== undefined && { synchronous: options.synchronous }),
        });
    let applied: string[];
    try {
      ({ applied } = await migrateToLatest(db));
    } catch (error) {
      await db.destroy();
      throw error;
    }
    const store = new Store(db, isPostgres ? 'postgres' : 'sqlite', now);
    store.appliedMigrations = applied;
    return store;
  }

  /** Whether the database answers a trivial query. */
  async isReady(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await this.db.destroy();
  }
}
