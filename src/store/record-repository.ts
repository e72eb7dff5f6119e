import type { Kysely } from 'kysely';
import {
  type BrokenLink,
  type DeploymentEvent,
  NotFoundError,
  type StoredRecordEvent,
  verifyChain,
} from '../domain/index.js';
import type { Database, DeploymentEventTable } from './schema.js';

function toEvent(row: DeploymentEventTable): DeploymentEvent & StoredRecordEvent {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    sequence: row.sequence,
    at: row.at,
    type: row.type,
    actorId: row.actor_id ?? undefined,
    data: JSON.parse(row.data) as unknown,
    previousHash: row.previous_hash,
    hash: row.hash,
  } as DeploymentEvent & StoredRecordEvent;
}

/** The result of walking record chains. */
export interface RecordVerification {
  deploymentsChecked: number;
  eventsChecked: number;
  /** The first broken link found, if any. */
  broken?: BrokenLink;
}

/** The append-only records of deployments. */
export class RecordRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** A deployment's events after a sequence number, in order. */
  async events(deploymentId: string, afterSequence = 0, limit = 1000): Promise<DeploymentEvent[]> {
    const exists = await this.db
      .selectFrom('deployments')
      .select('id')
      .where('id', '=', deploymentId)
      .executeTakeFirst();
    if (exists === undefined) throw new NotFoundError('deployment', deploymentId);
    const rows = await this.db
      .selectFrom('deployment_events')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .where('sequence', '>', afterSequence)
      .orderBy('sequence')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  /**
   * Walks the hash chains of one deployment or of all, and reports the first broken link.
   * Also checks that the deployment row's own count and last hash match its events, so
   * that deleting the newest events is noticed too.
   */
  async verify(deploymentId?: string): Promise<RecordVerification> {
    let deployments = this.db
      .selectFrom('deployments')
      .select(['id', 'event_count', 'last_hash'])
      .orderBy('id');
    if (deploymentId !== undefined) deployments = deployments.where('id', '=', deploymentId);
    const heads = await deployments.execute();
    if (deploymentId !== undefined && heads.length === 0) throw new NotFoundError('deployment', deploymentId);
    let eventsChecked = 0;
    for (const head of heads) {
      const rows = await this.db
        .selectFrom('deployment_events')
        .selectAll()
        .where('deployment_id', '=', head.id)
        .orderBy('sequence')
        .execute();
      const events = rows.map(toEvent);
      eventsChecked += events.length;
      const broken = verifyChain(events);
      if (broken !== undefined) return { deploymentsChecked: heads.length, eventsChecked, broken };
      const last = events.at(-1);
      if (events.length !== head.event_count || (last !== undefined && last.hash !== head.last_hash)) {
        return {
          deploymentsChecked: heads.length,
          eventsChecked,
          broken: {
            deploymentId: head.id,
            eventId: last?.id ?? '',
            sequence: events.length,
            reason: 'sequence-gap',
            message: `Deployment ${head.id} recorded ${head.event_count} events but ${events.length} remain; the newest were removed or replaced.`,
          },
        };
      }
    }
    return { deploymentsChecked: heads.length, eventsChecked };
  }
}
