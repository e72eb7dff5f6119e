import type { Kysely } from 'kysely';
import type { Notification } from '../domain/index.js';
import type { Database } from './schema.js';
import { newId } from './support.js';

/** A message for a person about a deployment. */
export interface NewNotification {
  principalId: string;
  deploymentId?: string;
  kind: string;
  subject: string;
  body: string;
}

/** Subscriptions and the notifications people receive. */
export class NotificationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  /** Subscribes a principal to deployments of a service and/or environment (both empty: everything). */
  async subscribe(
    principalId: string,
    scope: { serviceId?: string; environmentId?: string },
  ): Promise<string> {
    const id = newId();
    await this.db
      .insertInto('subscriptions')
      .values({
        id,
        principal_id: principalId,
        service_id: scope.serviceId ?? null,
        environment_id: scope.environmentId ?? null,
        created_at: this.now().toISOString(),
      })
      .execute();
    return id;
  }

  /** Principals subscribed to a deployment into this environment of these services. */
  async subscribers(db: Kysely<Database>, environmentId: string, serviceIds: string[]): Promise<string[]> {
    const rows = await db
      .selectFrom('subscriptions')
      .select(['principal_id', 'service_id', 'environment_id'])
      .execute();
    return [
      ...new Set(
        rows
          .filter(
            (row) =>
              (row.environment_id === null || row.environment_id === environmentId) &&
              (row.service_id === null || serviceIds.includes(row.service_id)),
          )
          .map((row) => row.principal_id),
      ),
    ];
  }

  /** Writes notifications inside the caller's transaction. */
  async add(db: Kysely<Database>, notifications: NewNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    const at = this.now().toISOString();
    await db
      .insertInto('notifications')
      .values(
        notifications.map((notification) => ({
          id: newId(),
          principal_id: notification.principalId,
          deployment_id: notification.deploymentId ?? null,
          kind: notification.kind,
          subject: notification.subject,
          body: notification.body,
          created_at: at,
          read_at: null,
        })),
      )
      .execute();
  }

  /** A principal's notifications, newest first. */
  async list(principalId: string, limit = 100): Promise<Notification[]> {
    const rows = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('principal_id', '=', principalId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      ...(row.deployment_id !== null && { deploymentId: row.deployment_id }),
      kind: row.kind,
      subject: row.subject,
      body: row.body,
      createdAt: row.created_at,
      ...(row.read_at !== null && { readAt: row.read_at }),
    }));
  }
}
