import type { Kysely } from 'kysely';
import {
  assertTransition,
  type DeploymentEvent,
  type DeploymentState,
  GateState,
  hashRecordEvent,
  isTerminal,
  ManualTaskState,
  type StepPhase,
  type StepRunState,
} from '../domain/index.js';
import { OutboxRepository } from './outbox-repository.js';
import { PreparedQuery } from './prepared-query.js';
import type { Database, DeploymentTable, GateTable, StepRunTable } from './schema.js';
import { newId } from './support.js';

/*
 * The statements every transition runs, compiled once (see PreparedQuery). Each has the
 * same SQL as the query builder chain it was written as.
 */
const scheduleWork = new PreparedQuery(2, (db, _dialect, deploymentId: string, dueAt: string) =>
  db
    .insertInto('engine_work')
    .values({ deployment_id: deploymentId, due_at: dueAt, lease_owner: null, lease_until: null, fence: 0 })
    .onConflict((conflict) =>
      conflict.column('deployment_id').doUpdateSet({ due_at: dueAt, lease_owner: null, lease_until: null }),
    ),
);
const unscheduleWork = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.deleteFrom('engine_work').where('deployment_id', '=', deploymentId),
);
const allStepRuns = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('step_runs').selectAll().where('deployment_id', '=', deploymentId).orderBy('id'),
);
const stepRunsOfPhase = new PreparedQuery(2, (db, _dialect, deploymentId: string, phase: string) =>
  db
    .selectFrom('step_runs')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('id')
    .where('phase', '=', phase),
);
const insertStepRun = new PreparedQuery(
  11,
  (
    db,
    _dialect,
    id: string,
    deploymentId: string,
    phase: string,
    stepIndex: number,
    stepName: string,
    stepType: string,
    targetId: string | null,
    targetName: string | null,
    attempt: number,
    state: string,
    startedAt: string,
  ) =>
    db.insertInto('step_runs').values({
      id,
      deployment_id: deploymentId,
      phase,
      step_index: stepIndex,
      step_name: stepName,
      step_type: stepType,
      target_id: targetId,
      target_name: targetName,
      attempt,
      state,
      started_at: startedAt,
      finished_at: null,
      exit_code: null,
      message: null,
    }),
);
const updateStepRun = new PreparedQuery(
  6,
  (
    db,
    _dialect,
    state: string,
    finishedAt: string | null,
    exitCode: number | null,
    message: string | null,
    stepRunId: string,
    deploymentId: string,
  ) =>
    db
      .updateTable('step_runs')
      .set({ state, finished_at: finishedAt, exit_code: exitCode, message })
      .where('id', '=', stepRunId)
      .where('deployment_id', '=', deploymentId),
);
const cancelTasks = new PreparedQuery(2, (db, _dialect, decidedAt: string, deploymentId: string) =>
  db
    .updateTable('manual_tasks')
    .set({ state: ManualTaskState.cancelled, decided_at: decidedAt })
    .where('deployment_id', '=', deploymentId)
    .where('state', '=', ManualTaskState.open),
);
const cancelGates = new PreparedQuery(2, (db, _dialect, decidedAt: string, deploymentId: string) =>
  db
    .updateTable('gates')
    .set({ state: GateState.cancelled, decided_at: decidedAt })
    .where('deployment_id', '=', deploymentId)
    .where('state', '=', GateState.open),
);
const allGates = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('gates').selectAll().where('deployment_id', '=', deploymentId).orderBy('id'),
);
const gatesOfKind = new PreparedQuery(2, (db, _dialect, deploymentId: string, kind: string) =>
  db
    .selectFrom('gates')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('id')
    .where('kind', '=', kind),
);
const updateDeployment = new PreparedQuery(
  9,
  (
    db,
    _dialect,
    state: string,
    stateReason: string | null,
    supervised: number,
    progress: string,
    updatedAt: string,
    finishedAt: string | null,
    eventCount: number,
    lastHash: string,
    id: string,
  ) =>
    db
      .updateTable('deployments')
      .set({
        state,
        state_reason: stateReason,
        supervised,
        progress,
        updated_at: updatedAt,
        finished_at: finishedAt,
        event_count: eventCount,
        last_hash: lastHash,
      })
      .where('id', '=', id),
);
const versionsOfDeployment = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('deployment_versions').selectAll().where('deployment_id', '=', deploymentId),
);
const recordMatrixOutcome = new PreparedQuery(
  6,
  (
    db,
    _dialect,
    componentId: string,
    environmentId: string,
    versionId: string | null,
    deploymentId: string,
    outcome: string,
    at: string,
  ) =>
    db
      .insertInto('deployment_matrix')
      .values({
        component_id: componentId,
        environment_id: environmentId,
        version_id: versionId,
        deployment_id: deploymentId,
        outcome,
        at,
        in_flight_deployment_id: null,
        in_flight_version_id: null,
      })
      .onConflict((conflict) =>
        conflict.columns(['component_id', 'environment_id']).doUpdateSet({
          version_id: versionId,
          deployment_id: deploymentId,
          outcome,
          at,
        }),
      ),
);
const clearMatrixInFlight = new PreparedQuery(
  3,
  (db, _dialect, componentId: string, environmentId: string, deploymentId: string) =>
    db
      .updateTable('deployment_matrix')
      .set({ in_flight_deployment_id: null, in_flight_version_id: null })
      .where('component_id', '=', componentId)
      .where('environment_id', '=', environmentId)
      .where('in_flight_deployment_id', '=', deploymentId),
);

/** Values of one deployment_events row, in column order. */
const eventColumns = 9;
/** Event inserts are prepared for batches up to this size; larger ones (rare) are built each time. */
const preparedEventBatch = 16;
const eventInserts = new Map<number, PreparedQuery<unknown[], unknown>>();

/** The insert of `count` events at once. */
function eventInsert(count: number): PreparedQuery<unknown[], unknown> {
  let query = eventInserts.get(count);
  if (query === undefined) {
    query = new PreparedQuery(count * eventColumns, (db, _dialect, ...values: unknown[]) =>
      db.insertInto('deployment_events').values(
        Array.from({ length: count }, (_, row) => {
          const at = (column: number) => values[row * eventColumns + column];
          return {
            id: at(0) as string,
            deployment_id: at(1) as string,
            sequence: at(2) as number,
            at: at(3) as string,
            type: at(4) as string,
            actor_id: at(5) as string | null,
            data: at(6) as string,
            previous_hash: at(7) as string,
            hash: at(8) as string,
          };
        }),
      ),
    );
    eventInserts.set(count, query);
  }
  return query;
}

/** A step run to start. */
export interface NewStepRun {
  phase: StepPhase;
  stepIndex: number;
  stepName: string;
  stepType: string;
  targetId?: string;
  targetName?: string;
  attempt: number;
  state?: StepRunState;
}

/** A manual task to open for a step run. */
export interface NewManualTask {
  stepRunId: string;
  title: string;
  checklist: string[];
  assigneeRole?: string;
  assigneeParty?: string;
  evidenceRequired: boolean;
}

/** A gate to open. */
export interface NewGate {
  kind: string;
  /** Roles that may decide; empty: anyone who may decide work. */
  requiredRoles: string[];
  /** Distinct people who must approve (default 1). */
  requiredCount?: number;
  /** The step the gate stands before; absent: before execution. */
  beforeStep?: string;
  description: string;
}

/**
 * One atomic change to one deployment: appends record events (each chained to the one
 * before), moves the state along the transition table, and schedules the engine's next
 * look. Everything is written when the surrounding database transaction commits.
 */
export class DeploymentTransaction {
  private readonly pendingEvents: DeploymentEvent[] = [];
  /** Deployments created inside this transaction (promotions); flushed and published with it. */
  readonly spawned: DeploymentTransaction[] = [];
  private readonly initialState: DeploymentState;
  private scheduledWork = false;

  constructor(
    readonly db: Kysely<Database>,
    readonly row: DeploymentTable,
    readonly now: Date,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.initialState = row.state as DeploymentState;
  }

  /** The deployment's current state, including changes made in this transaction. */
  get state(): DeploymentState {
    return this.row.state as DeploymentState;
  }

  /** The engine's cursor inside the deployment. */
  get progress(): Record<string, unknown> {
    return JSON.parse(this.row.progress) as Record<string, unknown>;
  }

  /** Events appended in this transaction, in order. */
  get events(): readonly DeploymentEvent[] {
    return this.pendingEvents;
  }

  /** Whether this transaction, or a deployment it created, gave the engine work. */
  get scheduled(): boolean {
    return this.scheduledWork || this.spawned.some((child) => child.scheduled);
  }

  /** Appends an event to the deployment's record. */
  append(type: string, data: Record<string, unknown>, actorId?: string): DeploymentEvent {
    const sequence = this.row.event_count + 1;
    const at = this.now.toISOString();
    const content = { deploymentId: this.row.id, sequence, at, type, actorId, data };
    const hash = hashRecordEvent(this.row.last_hash, content);
    const event: DeploymentEvent = {
      id: newId(),
      deploymentId: this.row.id,
      sequence,
      at,
      type,
      ...(actorId !== undefined && { actorId }),
      data,
      previousHash: this.row.last_hash,
      hash,
    };
    this.pendingEvents.push(event);
    this.row.event_count = sequence;
    this.row.last_hash = hash;
    return event;
  }

  /** Moves the deployment to another state, recording who and why. */
  transition(
    to: DeploymentState,
    reason: string,
    options: { actorId?: string; data?: Record<string, unknown> } = {},
  ): void {
    assertTransition(this.state, to);
    this.append('transition', { from: this.state, to, reason, ...options.data }, options.actorId);
    this.row.state = to;
    this.row.state_reason = reason;
    if (isTerminal(to)) this.row.finished_at = this.now.toISOString();
    else this.row.finished_at = null;
  }

  /** Replaces the engine's cursor. */
  setProgress(progress: Record<string, unknown>): void {
    this.row.progress = JSON.stringify(progress);
  }

  /** Asks the engine to look at this deployment at a time (now when omitted). */
  async schedule(dueAt: Date = this.now): Promise<void> {
    this.scheduledWork = true;
    await scheduleWork.execute(this.db, this.dialect, this.row.id, dueAt.toISOString());
  }

  /** Removes the engine's work: the deployment waits for a person or has finished. */
  async unschedule(): Promise<void> {
    await unscheduleWork.execute(this.db, this.dialect, this.row.id);
  }

  /** The deployment's step runs in a phase, oldest first. */
  async stepRuns(phase?: StepPhase): Promise<StepRunTable[]> {
    return phase === undefined
      ? allStepRuns.rows(this.db, this.dialect, this.row.id)
      : stepRunsOfPhase.rows(this.db, this.dialect, this.row.id, phase);
  }

  /** Records a step starting on a target. */
  async startStepRun(input: NewStepRun): Promise<string> {
    const id = newId();
    await insertStepRun.execute(
      this.db,
      this.dialect,
      id,
      this.row.id,
      input.phase,
      input.stepIndex,
      input.stepName,
      input.stepType,
      input.targetId ?? null,
      input.targetName ?? null,
      input.attempt,
      input.state ?? 'running',
      this.now.toISOString(),
    );
    return id;
  }

  /** Records how a step run ended (or that it waits). */
  async finishStepRun(
    stepRunId: string,
    state: StepRunState,
    result: { exitCode?: number; message?: string } = {},
  ): Promise<void> {
    const finished = state !== 'running' && state !== 'waiting';
    await updateStepRun.execute(
      this.db,
      this.dialect,
      state,
      finished ? this.now.toISOString() : null,
      result.exitCode ?? null,
      result.message ?? null,
      stepRunId,
      this.row.id,
    );
  }

  /** Opens a manual task for a person. */
  async openManualTask(input: NewManualTask): Promise<string> {
    const id = newId();
    await this.db
      .insertInto('manual_tasks')
      .values({
        id,
        deployment_id: this.row.id,
        step_run_id: input.stepRunId,
        title: input.title,
        checklist: JSON.stringify(input.checklist),
        assignee_role: input.assigneeRole ?? null,
        assignee_party: input.assigneeParty ?? null,
        evidence_required: input.evidenceRequired ? 1 : 0,
        state: ManualTaskState.open,
        evidence: null,
        reason: null,
        decided_by: null,
        decided_at: null,
        created_at: this.now.toISOString(),
      })
      .execute();
    return id;
  }

  /** Records a person's decision on a manual task. */
  async decideManualTask(
    taskId: string,
    decision: { state: ManualTaskState; actorId: string; evidence?: string; reason?: string },
  ): Promise<void> {
    await this.db
      .updateTable('manual_tasks')
      .set({
        state: decision.state,
        evidence: decision.evidence ?? null,
        reason: decision.reason ?? null,
        decided_by: decision.actorId,
        decided_at: this.now.toISOString(),
      })
      .where('id', '=', taskId)
      .where('deployment_id', '=', this.row.id)
      .execute();
  }

  /** The manual tasks of these step runs, by step run. */
  async decidedTasks(
    stepRunIds: string[],
  ): Promise<Map<string, { state: string; evidence?: string; reason?: string; decidedBy?: string }>> {
    const rows = await this.db
      .selectFrom('manual_tasks')
      .select(['step_run_id', 'state', 'evidence', 'reason', 'decided_by'])
      .where('deployment_id', '=', this.row.id)
      .where('step_run_id', 'in', stepRunIds)
      .execute();
    return new Map(
      rows.map((row) => [
        row.step_run_id,
        {
          state: row.state,
          ...(row.evidence !== null && { evidence: row.evidence }),
          ...(row.reason !== null && { reason: row.reason }),
          ...(row.decided_by !== null && { decidedBy: row.decided_by }),
        },
      ]),
    );
  }

  /** Cancels the deployment's open manual tasks (when it ends without them). */
  async cancelOpenTasks(): Promise<void> {
    await cancelTasks.execute(this.db, this.dialect, this.now.toISOString(), this.row.id);
  }

  /** Cancels the deployment's open gates (when it ends without them). */
  async cancelOpenGates(): Promise<void> {
    await cancelGates.execute(this.db, this.dialect, this.now.toISOString(), this.row.id);
  }

  /** Opens a gate the deployment waits at. */
  async openGate(input: NewGate): Promise<string> {
    const id = newId();
    await this.db
      .insertInto('gates')
      .values({
        id,
        deployment_id: this.row.id,
        kind: input.kind,
        state: GateState.open,
        required_roles: JSON.stringify(input.requiredRoles),
        required_count: input.requiredCount ?? 1,
        before_step: input.beforeStep ?? null,
        approvers: '[]',
        description: input.description,
        decided_by: null,
        decided_at: null,
        comment: null,
        created_at: this.now.toISOString(),
      })
      .execute();
    return id;
  }

  /**
   * Records one person's decision on a gate. A rejection closes it; an approval counts
   * towards the number of distinct approvers it needs and passes it when that is reached.
   */
  async decideGate(
    gate: GateTable,
    decision: { approve: boolean; actorId: string; comment?: string },
  ): Promise<GateState> {
    const approvers = [
      ...(JSON.parse(gate.approvers) as string[]),
      ...(decision.approve ? [decision.actorId] : []),
    ];
    const state = !decision.approve
      ? GateState.rejected
      : approvers.length >= gate.required_count
        ? GateState.passed
        : GateState.open;
    await this.db
      .updateTable('gates')
      .set({
        state,
        approvers: JSON.stringify(approvers),
        decided_by: decision.actorId,
        decided_at: this.now.toISOString(),
        comment: decision.comment ?? null,
      })
      .where('id', '=', gate.id)
      .where('deployment_id', '=', this.row.id)
      .execute();
    return state;
  }

  /** The deployment's gates of a kind. */
  async gates(kind?: string): Promise<GateTable[]> {
    return kind === undefined
      ? allGates.rows(this.db, this.dialect, this.row.id)
      : gatesOfKind.rows(this.db, this.dialect, this.row.id, kind);
  }

  /** Writes the deployment row and its new events, and keeps the matrix current. */
  async flush(): Promise<void> {
    for (const child of this.spawned) await child.flush();
    if (this.pendingEvents.length === 0 && this.initialState === this.state) {
      await this.writeRow();
      return;
    }
    const events = this.pendingEvents.length;
    if (events > 0 && events <= preparedEventBatch) {
      await eventInsert(events).execute(
        this.db,
        this.dialect,
        ...this.pendingEvents.flatMap((event) => [
          event.id,
          event.deploymentId,
          event.sequence,
          event.at,
          event.type,
          event.actorId ?? null,
          JSON.stringify(event.data),
          event.previousHash,
          event.hash,
        ]),
      );
    } else if (events > 0) {
      await this.db
        .insertInto('deployment_events')
        .values(
          this.pendingEvents.map((event) => ({
            id: event.id,
            deployment_id: event.deploymentId,
            sequence: event.sequence,
            at: event.at,
            type: event.type,
            actor_id: event.actorId ?? null,
            data: JSON.stringify(event.data),
            previous_hash: event.previousHash,
            hash: event.hash,
          })),
        )
        .execute();
    }
    await this.writeRow();
    if (this.initialState !== this.state && isTerminal(this.state)) {
      await this.recordOutcome();
      // Outbound webhooks and CDEvents learn of the outcome from the outbox, written atomically with it.
      await new OutboxRepository(this.db, () => this.now, this.dialect).appendDeploymentOutcome(this.row.id);
    }
  }

  private async writeRow(): Promise<void> {
    await updateDeployment.execute(
      this.db,
      this.dialect,
      this.row.state,
      this.row.state_reason,
      this.row.supervised,
      this.row.progress,
      this.now.toISOString(),
      this.row.finished_at,
      this.row.event_count,
      this.row.last_hash,
      this.row.id,
    );
  }

  /** Keeps the pre-aggregated matrix current at each terminal transition. */
  private async recordOutcome(): Promise<void> {
    const at = this.now.toISOString();
    const members = await versionsOfDeployment.rows(this.db, this.dialect, this.row.id);
    for (const member of members) {
      if (this.state === 'succeeded') {
        const removed = this.row.kind === 'removal';
        await recordMatrixOutcome.execute(
          this.db,
          this.dialect,
          member.component_id,
          this.row.environment_id,
          removed ? null : member.version_id,
          this.row.id,
          removed ? 'removed' : 'succeeded',
          at,
        );
      }
      await clearMatrixInFlight.execute(
        this.db,
        this.dialect,
        member.component_id,
        this.row.environment_id,
        this.row.id,
      );
    }
  }
}
