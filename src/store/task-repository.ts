import type { Kysely } from 'kysely';
import {
  type Gate,
  type GateState,
  type ManualTask,
  type ManualTaskState,
  NotFoundError,
  type StepPhase,
  type StepRun,
  type StepRunState,
} from '../domain/index.js';
import type { Database, GateTable, ManualTaskTable, StepRunTable } from './schema.js';
import { isId } from './support.js';

function toTask(row: ManualTaskTable): ManualTask {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    stepRunId: row.step_run_id,
    title: row.title,
    checklist: JSON.parse(row.checklist) as string[],
    ...(row.assignee_role !== null && { assigneeRole: row.assignee_role }),
    ...(row.assignee_party !== null && { assigneeParty: row.assignee_party }),
    evidenceRequired: row.evidence_required === 1,
    state: row.state as ManualTaskState,
    ...(row.evidence !== null && { evidence: row.evidence }),
    ...(row.reason !== null && { reason: row.reason }),
    ...(row.decided_by !== null && { decidedBy: row.decided_by }),
    ...(row.decided_at !== null && { decidedAt: row.decided_at }),
    createdAt: row.created_at,
  };
}

function toGate(row: GateTable): Gate {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    kind: row.kind,
    state: row.state as GateState,
    requiredRoles: JSON.parse(row.required_roles) as string[],
    requiredCount: row.required_count,
    ...(row.before_step !== null && { beforeStep: row.before_step }),
    approvers: JSON.parse(row.approvers) as string[],
    description: row.description,
    ...(row.decided_by !== null && { decidedBy: row.decided_by }),
    ...(row.decided_at !== null && { decidedAt: row.decided_at }),
    ...(row.comment !== null && { comment: row.comment }),
    createdAt: row.created_at,
  };
}

/** Maps a stored step run to its public shape. */
export function toStepRun(row: StepRunTable): StepRun {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    phase: row.phase as StepPhase,
    stepIndex: row.step_index,
    step: row.step_name,
    type: row.step_type,
    ...(row.target_id !== null && { targetId: row.target_id }),
    ...(row.target_name !== null && { target: row.target_name }),
    attempt: row.attempt,
    state: row.state as StepRunState,
    startedAt: row.started_at,
    ...(row.finished_at !== null && { finishedAt: row.finished_at }),
    ...(row.exit_code !== null && { exitCode: row.exit_code }),
    ...(row.message !== null && { message: row.message }),
  };
}

/** Reads of the work people do inside deployments: manual tasks, gates, step runs. */
export class TaskRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Manual tasks, newest first, by state, role or deployment. */
  async listTasks(filter: {
    state?: ManualTaskState;
    role?: string;
    deploymentId?: string;
  }): Promise<ManualTask[]> {
    let query = this.db.selectFrom('manual_tasks').selectAll().orderBy('id', 'desc').limit(500);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.role !== undefined) query = query.where('assignee_role', '=', filter.role);
    if (filter.deploymentId !== undefined) query = query.where('deployment_id', '=', filter.deploymentId);
    return (await query.execute()).map(toTask);
  }

  /** One manual task. */
  async getTask(taskId: string): Promise<ManualTask> {
    const row = isId(taskId)
      ? await this.db.selectFrom('manual_tasks').selectAll().where('id', '=', taskId).executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('manual task', taskId);
    return toTask(row);
  }

  /** Gates, newest first, by state or deployment. */
  async listGates(filter: { state?: GateState; deploymentId?: string }): Promise<Gate[]> {
    let query = this.db.selectFrom('gates').selectAll().orderBy('id', 'desc').limit(500);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.deploymentId !== undefined) query = query.where('deployment_id', '=', filter.deploymentId);
    return (await query.execute()).map(toGate);
  }

  /** One gate. */
  async getGate(gateId: string): Promise<Gate> {
    const row = isId(gateId)
      ? await this.db.selectFrom('gates').selectAll().where('id', '=', gateId).executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('gate', gateId);
    return toGate(row);
  }

  /** A deployment's step runs in order. */
  async stepRuns(deploymentId: string): Promise<StepRun[]> {
    const rows = await this.db
      .selectFrom('step_runs')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('id')
      .execute();
    return rows.map(toStepRun);
  }
}
