import { type Command, Option } from 'commander';
import type { Gate, ManualTask } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { collectList } from '../options.js';
import { type Column, formatDetails, formatTime } from '../output.js';
import { PrincipalNames } from '../principals.js';
import { gateNeeds } from './deployments.js';

interface TaskListOptions {
  state?: string;
  role?: string;
  deployment?: string;
}

interface CompleteOptions {
  evidence?: string;
  check?: string[];
}

interface GateListOptions {
  state?: string;
  deployment?: string;
}

function formatTask(task: ManualTask, names: PrincipalNames): string {
  return formatDetails([
    ['Task', task.id],
    ['Title', task.title],
    ['Deployment', task.deploymentId],
    ['For', task.assigneeRole === undefined ? undefined : `role ${task.assigneeRole}`],
    ['Party', task.assigneeParty],
    [
      'Checklist',
      task.checklist.length === 0 ? undefined : task.checklist.map((item) => `- ${item}`).join('\n'),
    ],
    ['State', task.state],
    ['Evidence', task.evidence],
    ['Reason', task.reason],
    [
      'Decided',
      task.decidedAt === undefined
        ? undefined
        : `${formatTime(task.decidedAt)} by ${names.of(task.decidedBy)}`,
    ],
  ]);
}

function formatGate(gate: Gate, names: PrincipalNames): string {
  return formatDetails([
    ['Gate', gate.id],
    ['Kind', gate.kind],
    ['Deployment', gate.deploymentId],
    ['About', gate.description],
    ['Before step', gate.beforeStep],
    ['State', gate.state],
    ['Approvals', gateNeeds(gate)],
    [
      'Approved by',
      gate.approvers.length === 0 ? undefined : gate.approvers.map((id) => names.of(id)).join(', '),
    ],
    ['Comment', gate.comment],
    [
      'Decided',
      gate.decidedAt === undefined
        ? undefined
        : `${formatTime(gate.decidedAt)} by ${names.of(gate.decidedBy)}`,
    ],
  ]);
}

/** `slipway task list|complete|fail` and `slipway gate list|approve|reject`. */
export function registerWorkCommands(program: Command): void {
  const task = program
    .command('task')
    .description('Manual tasks: work people do inside deployments, completed with evidence');

  withConnectionOptions(
    task
      .command('list')
      .description('List manual tasks, newest first')
      .addOption(
        new Option('--state <state>', 'only tasks in this state').choices([
          'open',
          'completed',
          'failed',
          'cancelled',
        ]),
      )
      .option('--role <role>', 'only tasks assigned to this role')
      .option('--deployment <id>', 'only the tasks of this deployment'),
  ).action(
    run<TaskListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: ManualTask[] }>('/tasks', {
        state: options.state,
        role: options.role,
        deployment: options.deployment,
      });
      const columns: Column<ManualTask>[] = [
        { header: 'id', cell: (item) => item.id },
        { header: 'state', cell: (item) => item.state },
        { header: 'task', cell: (item) => item.title },
        { header: 'for', cell: (item) => item.assigneeRole ?? item.assigneeParty ?? '' },
        { header: 'checklist', cell: (item) => String(item.checklist.length) },
        { header: 'deployment', cell: (item) => item.deploymentId },
        { header: 'opened', cell: (item) => formatTime(item.createdAt) },
      ];
      output.page(page, columns, options.state === 'open' ? 'No open tasks.' : 'No tasks match.');
    }),
  );

  withConnectionOptions(
    task
      .command('complete')
      .description('Complete a manual task with an evidence note; --check ticks checklist items')
      .argument('<id>', 'the task id')
      .option('--evidence <text>', 'what was done: serial numbers, a ticket, a photo reference')
      .option(
        '--check <item>',
        'a checklist item done; repeat for each (all of them, when given)',
        collectList,
      ),
  ).action(
    run<CompleteOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<ManualTask>(pathOf('tasks', argument(0), 'complete'), {
        ...(options.evidence !== undefined && { evidence: options.evidence }),
        ...(options.check !== undefined && { checklist: options.check }),
      });
      const names = await PrincipalNames.load(client, !output.json);
      output.result(body, () => `Completed task ${body.id}.\n\n${formatTask(body, names)}`);
    }),
  );

  withConnectionOptions(
    task
      .command('fail')
      .description('Fail a manual task with a reason; the deployment fails or rolls back')
      .argument('<id>', 'the task id')
      .requiredOption('--reason <text>', 'what went wrong'),
  ).action(
    run<{ reason: string }>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<ManualTask>(pathOf('tasks', argument(0), 'fail'), {
        reason: options.reason,
      });
      const names = await PrincipalNames.load(client, !output.json);
      output.result(body, () => `Failed task ${body.id}.\n\n${formatTask(body, names)}`);
    }),
  );

  const gate = program
    .command('gate')
    .description('Gates: approvals a deployment waits for, such as the supervised first run in live');

  withConnectionOptions(
    gate
      .command('list')
      .description('List gates, newest first')
      .addOption(
        new Option('--state <state>', 'only gates in this state').choices(['open', 'passed', 'rejected']),
      )
      .option('--deployment <id>', 'only the gates of this deployment'),
  ).action(
    run<GateListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Gate[] }>('/gates', {
        state: options.state,
        deployment: options.deployment,
      });
      const columns: Column<Gate>[] = [
        { header: 'id', cell: (item) => item.id },
        { header: 'kind', cell: (item) => item.kind },
        { header: 'state', cell: (item) => item.state },
        { header: 'approvals', cell: (item) => gateNeeds(item) },
        { header: 'deployment', cell: (item) => item.deploymentId },
        { header: 'about', cell: (item) => item.description },
      ];
      output.page(page, columns, options.state === 'open' ? 'No open gates.' : 'No gates match.');
    }),
  );

  for (const decision of ['approve', 'reject'] as const) {
    const command = gate
      .command(decision)
      .description(
        decision === 'approve'
          ? 'Approve a gate; the deployment goes on once it has every approval it needs'
          : 'Reject a gate with a comment; the deployment is rejected or fails',
      )
      .argument('<id>', 'the gate id');
    if (decision === 'approve') command.option('--comment <text>', 'what you checked, kept in the record');
    else command.requiredOption('--comment <text>', 'why, kept in the record');
    withConnectionOptions(command).action(
      run<{ comment?: string }>(async ({ client, output, options, argument }) => {
        const { body } = await client.post<Gate>(pathOf('gates', argument(0), decision), {
          ...(options.comment !== undefined && { comment: options.comment }),
        });
        const names = await PrincipalNames.load(client, !output.json);
        const headline =
          decision === 'reject'
            ? `Rejected gate ${body.kind}.`
            : body.state === 'passed'
              ? `Approved gate ${body.kind}: it has passed and the deployment goes on.`
              : `Approved gate ${body.kind}: ${body.approvers.length} of ${body.requiredCount} approvals so far.`;
        output.result(body, () => `${headline}\n\n${formatGate(body, names)}`);
      }),
    );
  }
}
