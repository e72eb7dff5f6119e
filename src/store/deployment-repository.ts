import { type Kysely, sql } from 'kysely';
import {
  type Deployment,
  type DeploymentKind,
  type DeploymentState,
  type DeploymentVersion,
  genesisHash,
  type ManifestPart,
  NotFoundError,
} from '../domain/index.js';
import {
  deploymentMembers,
  deploymentRow,
  deploymentRowForUpdate,
  deploymentsInFlow,
  insertDeployment,
  insertDeploymentVersion,
  insertFlow,
  lastFinishedQuery,
  liveRunOfModelVersion,
  markMatrixInFlight,
  preparedVersionCount,
} from './deployment-statements.js';
import { DeploymentTransaction } from './deployment-transaction.js';
import type { RecordBus } from './record-bus.js';
import type { Database, DeploymentTable } from './schema.js';
import { decodeCursor, newId, type Page, type PageRequest, pageOf } from './support.js';

/** A deployment to request: one movement of versions into one environment. */
export interface NewDeployment {
  /** An existing flow to continue (promotion), or a new one is started. */
  flowId?: string;
  modelVersionId: string;
  stageIndex: number;
  stageName: string;
  environmentId: string;
  kind: DeploymentKind;
  releaseId?: string;
  versions: { componentId: string; versionId: string; previousVersionId?: string }[];
  requestedBy: string;
  reason: string;
  /** Extra data for the record's first event. */
  data?: Record<string, unknown>;
  /** The engine's initial cursor (e.g. the digests pinned at request time). */
  progress?: Record<string, unknown>;
  /** When the engine should first look at it (default now). */
  dueAt?: Date;
}

/** A version a deployment moves, with what the engine verifies. */
export interface DeploymentMember {
  componentId: string;
  component: string;
  serviceId: string;
  kind: string;
  versionId: string;
  version: string;
  digest: string;
  manifest: ManifestPart[] | undefined;
  sourceUri: string | undefined;
  previousVersionId: string | undefined;
}

/** Filters of the deployment list. */
export interface DeploymentFilter {
  states?: DeploymentState[];
  environmentId?: string;
  componentId?: string;
  flowId?: string;
  modelId?: string;
  requestedBy?: string;
  requestedAfter?: string;
  requestedBefore?: string;
}

/** Thrown inside a mutation when the caller's lease was taken over by another node. */
export class StaleLeaseError extends Error {
  constructor(deploymentId: string) {
    super(`The engine lease on deployment ${deploymentId} is no longer held by this node.`);
  }
}

interface DeploymentListRow extends DeploymentTable {
  environment_name: string;
  model_name: string;
  model_number: number;
  release_name: string | null;
}

/** Deployments: creation, atomic mutation with record events, and reads. */
export class DeploymentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly bus: RecordBus,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Creates a deployment in `requested`, with the first event of its record, inside a transaction. */
  async createIn(
    db: Kysely<Database>,
    input: NewDeployment,
  ): Promise<{ id: string; transaction: DeploymentTransaction }> {
    const now = this.now();
    const at = now.toISOString();
    let flowId = input.flowId;
    if (flowId === undefined) {
      flowId = newId();
      await insertFlow.execute(
        db,
        this.dialect,
        flowId,
        input.modelVersionId,
        input.releaseId ?? null,
        JSON.stringify(input.versions),
        at,
        input.requestedBy,
      );
    }
    const row: DeploymentTable = {
      id: newId(),
      flow_id: flowId,
      stage_index: input.stageIndex,
      stage_name: input.stageName,
      model_version_id: input.modelVersionId,
      environment_id: input.environmentId,
      kind: input.kind,
      release_id: input.releaseId ?? null,
      state: 'requested',
      state_reason: input.reason,
      supervised: 0,
      progress: JSON.stringify(input.progress ?? {}),
      requested_by: input.requestedBy,
      requested_at: at,
      updated_at: at,
      finished_at: null,
      event_count: 0,
      last_hash: genesisHash,
    };
    await insertDeployment.execute(
      db,
      this.dialect,
      row.id,
      row.flow_id,
      row.stage_index,
      row.stage_name,
      row.model_version_id,
      row.environment_id,
      row.kind,
      row.release_id,
      row.state,
      row.state_reason,
      row.supervised,
      row.progress,
      row.requested_by,
      row.requested_at,
      row.updated_at,
      row.event_count,
      row.last_hash,
    );
    // (A multi-row insert of no rows used to fail as invalid SQL; say why instead.)
    if (input.versions.length === 0) throw new Error('A deployment moves at least one version.');
    for (const member of input.versions) {
      await insertDeploymentVersion.execute(
        db,
        this.dialect,
        row.id,
        member.componentId,
        member.versionId,
        member.previousVersionId ?? null,
      );
    }
    for (const member of input.versions) {
      await markMatrixInFlight.execute(
        db,
        this.dialect,
        member.componentId,
        input.environmentId,
        row.id,
        member.versionId,
      );
    }
    const transaction = new DeploymentTransaction(db, row, now, this.dialect);
    transaction.append(
      'requested',
      { reason: input.reason, kind: input.kind, stage: input.stageName, ...input.data },
      input.requestedBy,
    );
    await transaction.schedule(input.dueAt ?? now);
    return { id: row.id, transaction };
  }

  /**
   * Runs one atomic change to a deployment. With a fence, the change commits only if this
   * node still holds the engine lease it claimed with that fence.
   */
  async mutate<T>(
    deploymentId: string,
    work: (transaction: DeploymentTransaction) => Promise<T>,
    fence?: number,
  ): Promise<T> {
    let committed: DeploymentTransaction | undefined;
    const result = await this.db.transaction().execute(async (trx) => {
      const found = await deploymentRowForUpdate.first(trx, this.dialect, deploymentId);
      if (fence !== undefined && found?.lease_fence !== fence) throw new StaleLeaseError(deploymentId);
      if (found === undefined) throw new NotFoundError('deployment', deploymentId);
      const { lease_fence: _leaseFence, ...row } = found;
      const transaction = new DeploymentTransaction(trx, row, this.now(), this.dialect);
      const value = await work(transaction);
      await transaction.flush();
      committed = transaction;
      return value;
    });
    if (committed !== undefined) this.publish(committed);
    return result;
  }

  /** Runs work that may create deployments, publishing their events after the commit. */
  async create<T>(work: (db: Kysely<Database>, created: DeploymentTransaction[]) => Promise<T>): Promise<T> {
    const created: DeploymentTransaction[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      const value = await work(trx, created);
      for (const transaction of created) await transaction.flush();
      return value;
    });
    for (const transaction of created) this.publish(transaction);
    return result;
  }

  private publish(transaction: DeploymentTransaction): void {
    for (const child of transaction.spawned) this.bus.publish(child.events);
    this.bus.publish(transaction.events);
    // Only a change that gave the engine work wakes it; every other commit would only make it claim nothing.
    if (transaction.scheduled) this.bus.wake();
  }

  private listQuery() {
    return this.db
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .innerJoin('model_versions', 'model_versions.id', 'deployments.model_version_id')
      .innerJoin('deployment_models', 'deployment_models.id', 'model_versions.model_id')
      .leftJoin('releases', 'releases.id', 'deployments.release_id')
      .selectAll('deployments')
      .select([
        'environments.name as environment_name',
        'deployment_models.name as model_name',
        'model_versions.number as model_number',
        'releases.name as release_name',
      ]);
  }

  private async withVersions(rows: DeploymentListRow[]): Promise<Deployment[]> {
    if (rows.length === 0) return [];
    const members = await this.db
      .selectFrom('deployment_versions')
      .innerJoin('versions', 'versions.id', 'deployment_versions.version_id')
      .innerJoin('components', 'components.id', 'deployment_versions.component_id')
      .leftJoin('versions as previous', 'previous.id', 'deployment_versions.previous_version_id')
      .select([
        'deployment_versions.deployment_id',
        'components.id as component_id',
        'components.name as component_name',
        'versions.id as version_id',
        'versions.version',
        'versions.digest',
        'previous.version as previous_version',
      ])
      .where(
        'deployment_versions.deployment_id',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('components.name')
      .execute();
    const byDeployment = new Map<string, DeploymentVersion[]>();
    for (const member of members) {
      const list = byDeployment.get(member.deployment_id) ?? [];
      list.push({
        componentId: member.component_id,
        component: member.component_name,
        versionId: member.version_id,
        version: member.version,
        digest: member.digest,
        ...(member.previous_version !== null && { previousVersion: member.previous_version }),
      });
      byDeployment.set(member.deployment_id, list);
    }
    return rows.map((row) => ({
      id: row.id,
      flowId: row.flow_id,
      stageIndex: row.stage_index,
      stage: row.stage_name,
      model: row.model_name,
      modelVersion: row.model_number,
      modelVersionId: row.model_version_id,
      environmentId: row.environment_id,
      environment: row.environment_name,
      kind: row.kind as DeploymentKind,
      ...(row.release_name !== null && { release: row.release_name }),
      versions: byDeployment.get(row.id) ?? [],
      state: row.state as DeploymentState,
      ...(row.state_reason !== null && { stateReason: row.state_reason }),
      supervised: row.supervised === 1,
      requestedBy: row.requested_by,
      requestedAt: row.requested_at,
      updatedAt: row.updated_at,
      ...(row.finished_at !== null && { finishedAt: row.finished_at }),
      events: row.event_count,
    }));
  }

  /** Gets a deployment with its versions. */
  async get(deploymentId: string): Promise<Deployment> {
    const row = await this.listQuery().where('deployments.id', '=', deploymentId).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('deployment', deploymentId);
    const [deployment] = await this.withVersions([row]);
    if (deployment === undefined) throw new NotFoundError('deployment', deploymentId);
    return deployment;
  }

  /** The raw row, for the engine. */
  async row(deploymentId: string): Promise<DeploymentTable | undefined> {
    return deploymentRow.first(this.db, this.dialect, deploymentId);
  }

  /** Lists deployments, newest first. */
  async list(filter: DeploymentFilter, page: PageRequest): Promise<Page<Deployment>> {
    let query = this.listQuery()
      .orderBy('deployments.id', 'desc')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('deployments.id', '<', after);
    if (filter.states !== undefined && filter.states.length > 0)
      query = query.where('deployments.state', 'in', filter.states);
    if (filter.environmentId !== undefined)
      query = query.where('deployments.environment_id', '=', filter.environmentId);
    if (filter.flowId !== undefined) query = query.where('deployments.flow_id', '=', filter.flowId);
    if (filter.modelId !== undefined) query = query.where('deployment_models.id', '=', filter.modelId);
    if (filter.requestedBy !== undefined)
      query = query.where('deployments.requested_by', '=', filter.requestedBy);
    if (filter.requestedAfter !== undefined)
      query = query.where('deployments.requested_at', '>=', filter.requestedAfter);
    if (filter.requestedBefore !== undefined)
      query = query.where('deployments.requested_at', '<', filter.requestedBefore);
    if (filter.componentId !== undefined) {
      const componentId = filter.componentId;
      query = query.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('deployment_versions')
            .select(sql`1`.as('one'))
            .whereRef('deployment_versions.deployment_id', '=', 'deployments.id')
            .where('deployment_versions.component_id', '=', componentId),
        ),
      );
    }
    const rows = await query.execute();
    const paged = pageOf(rows, page.limit, (row) => row);
    return { ...paged, items: await this.withVersions(paged.items) };
  }

  /** The versions a deployment moves, with what verification needs. */
  async members(deploymentId: string): Promise<DeploymentMember[]> {
    const rows = await deploymentMembers.rows(this.db, this.dialect, deploymentId);
    return rows.map((row) => ({
      componentId: row.component_id,
      component: row.component_name,
      serviceId: row.service_id,
      kind: row.kind,
      versionId: row.version_id,
      version: row.version,
      digest: row.digest,
      manifest: row.manifest === null ? undefined : (JSON.parse(row.manifest) as ManifestPart[]),
      sourceUri: row.source_uri ?? undefined,
      previousVersionId: row.previous_version_id ?? undefined,
    }));
  }

  /** Deployments of a flow, in stage order. */
  async inFlow(flowId: string): Promise<DeploymentTable[]> {
    return deploymentsInFlow.rows(this.db, this.dialect, flowId);
  }

  /**
   * When each of these versions last finished a deployment in an environment with the given
   * state, or undefined when it never did (for entry criteria such as "succeeded in staging").
   */
  async lastFinished(
    environmentId: string,
    versionIds: string[],
    state: DeploymentState,
  ): Promise<string | undefined> {
    if (versionIds.length === 0) return undefined;
    const rows =
      versionIds.length <= preparedVersionCount
        ? await lastFinishedQuery(versionIds.length).rows(
            this.db,
            this.dialect,
            environmentId,
            state,
            ...versionIds,
          )
        : await this.db
            .selectFrom('deployments')
            .innerJoin('deployment_versions', 'deployment_versions.deployment_id', 'deployments.id')
            .select([
              'deployment_versions.version_id',
              (eb) => eb.fn.max('deployments.finished_at').as('finished_at'),
            ])
            .where('deployments.environment_id', '=', environmentId)
            .where('deployments.state', '=', state)
            .where('deployment_versions.version_id', 'in', versionIds)
            .groupBy('deployment_versions.version_id')
            .execute();
    if (rows.length < new Set(versionIds).size) return undefined;
    // All versions must have finished there; the criterion holds from the latest of them.
    return rows
      .map((row) => row.finished_at ?? '')
      .sort()
      .at(-1);
  }

  /**
   * Whether a model version has already run in a live-tier environment: some deployment of
   * it there reached execution. Until then every live deployment of it is a supervised first run.
   */
  async hasRunInLive(modelVersionId: string, exceptDeploymentId: string): Promise<boolean> {
    const row = await liveRunOfModelVersion.first(this.db, this.dialect, modelVersionId, exceptDeploymentId);
    return row !== undefined;
  }

  /** Whether an environment has any deployment recorded. */
  async anyInEnvironment(environmentId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('deployments')
      .select('id')
      .where('environment_id', '=', environmentId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
