import { type Kysely, sql } from 'kysely';

/**
 * Communications and triggers: the outbox of events to fan out, outbound webhook
 * subscriptions with their deliveries and every attempt of each, and the inbound webhook
 * deliveries kept for replay protection and the audit of bad signatures.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notify_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .execute();
  await db.schema
    .createIndex('notify_outbox_unprocessed')
    .on('notify_outbox')
    .columns(['processed_at', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text')
    .addColumn('environment_id', 'text')
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('webhook_subscriptions.id'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt_count', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('fence', 'integer', (c) => c.notNull())
    .addColumn('redelivery_of', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_response_excerpt', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due')
    .on('webhook_deliveries')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_subscription')
    .on('webhook_deliveries')
    .columns(['subscription_id', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_event')
    .on('webhook_deliveries')
    .columns(['event_id'])
    .execute();

  await db.schema
    .createTable('webhook_delivery_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response_excerpt', 'text')
    .addColumn('error', 'text')
    .addUniqueConstraint('webhook_delivery_attempts_number', ['delivery_id', 'attempt'])
    .execute();

  await db.schema
    .createTable('inbound_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('signature_valid', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('body_digest', 'text', (c) => c.notNull())
    .addColumn('remote_address', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Only a verified delivery claims its id: a forged request carrying a future delivery's id
  // must not make the genuine one look like a replay, and a failed processing releases the id
  // so that the sender's retry is processed.
  await db.schema
    .createIndex('inbound_deliveries_claimed')
    .on('inbound_deliveries')
    .columns(['source', 'delivery_id'])
    .unique()
    .where(sql<boolean>`outcome in ('accepted', 'processed', 'ignored')`)
    .execute();
  await db.schema
    .createIndex('inbound_deliveries_received')
    .on('inbound_deliveries')
    .columns(['source', 'received_at'])
    .execute();
}

/** Migrations move forward only; a down step exists so that tests can prove the guard. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'inbound_deliveries',
    'webhook_delivery_attempts',
    'webhook_deliveries',
    'webhook_subscriptions',
    'notify_outbox',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
