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
import {
  allGates,
  allStepRuns,
  cancelGates,
  cancelTasks,
  clearMatrixInFlight,
  eventInsert,
  gatesOfKind,
  insertStepRun,
  preparedEventBatch,
  recordMatrixOutcome,
  scheduleWork,
  stepRunsOfPhase,
  unscheduleWork,
  updateDeployment,
  updateStepRun,
  versionsOfDeployment,
} from './deployment-statements.js';
import { OutboxRepository } from './outbox-repository.js';
import type { Database, DeploymentTable, GateTable, StepRunTable } from './schema.js';
import { newId } from './support.js';

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
