import type { Command } from 'commander';
import {
  type Deployment,
  type DeploymentEvent,
  deploymentStates,
  type Gate,
  type ManualTask,
  type StepRun,
} from '../../domain/index.js';
import { pathOf, type SlipwayClient } from '../client.js';
import { type CommandContext, run, withConnectionOptions } from '../context.js';
import { describeEvent, formatElapsed, formatVersions, indentLine } from '../deployment-events.js';
import { exitCodeOf, watchDeployments } from '../deployment-watch.js';
import {
  collectList,
  parseCount,
  parseVersionReference,
  UsageError,
  type VersionReference,
} from '../options.js';
import { type Column, formatDetails, formatTable, formatTime } from '../output.js';
import { PrincipalNames } from '../principals.js';

interface WatchFlags {
  watch?: boolean;
  follow: boolean;
}

interface DeployOptions extends WatchFlags {
  to: string;
  release?: string;
  model?: string;
  reason?: string;
  removal?: boolean;
}

interface PromoteOptions extends WatchFlags {
  to: string;
  reason?: string;
}

interface ListOptions {
  state?: string[];
  environment?: string;
  component?: string;
  model?: string;
  requestedBy?: string;
  flow?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

interface EventsOptions {
  hashes?: boolean;
}

interface ReasonOptions {
  reason: string;
}

/** What GET /deployments/:id answers. */
interface DeploymentDetails {
  deployment: Deployment;
  stepRuns: StepRun[];
  gates: Gate[];
  tasks: ManualTask[];
}

const eventsPerPage = 1000;

function referenceOf(text: string): VersionReference {
  try {
    return parseVersionReference(text);
  } catch {
    throw new UsageError(`"${text}": write each version as component@version, e.g. shop-web@1.4.2.`);
  }
}

function stateText(deployment: Deployment): string {
  return `${deployment.state}${deployment.stateReason === undefined ? '' : `: ${deployment.stateReason}`}`;
}

function versionsWithPrevious(deployment: Deployment): string {
  return deployment.versions
    .map(
      (member) =>
        `${member.component}@${member.version}${member.previousVersion === undefined ? '' : ` (replaces ${member.previousVersion})`}`,
    )
    .join(', ');
}

function formatDeployment(deployment: Deployment, names: PrincipalNames): string {
  const took =
    deployment.finishedAt === undefined
      ? undefined
      : formatElapsed(Date.parse(deployment.finishedAt) - Date.parse(deployment.requestedAt));
  return formatDetails([
    ['Deployment', deployment.id],
    ['Flow', deployment.flowId],
    ['Versions', versionsWithPrevious(deployment)],
    ['Release', deployment.release],
    ['Environment', `${deployment.environment} (stage ${deployment.stage})`],
    ['Model', `${deployment.model} version ${deployment.modelVersion}`],
    ['Kind', deployment.kind],
    ['State', stateText(deployment)],
    [
      'Supervised',
      deployment.supervised
        ? 'yes: the first run of this model version in a live-tier environment, approved by a deployment manager'
        : undefined,
    ],
    ['Requested', `${formatTime(deployment.requestedAt)} by ${names.of(deployment.requestedBy)}`],
    ['Finished', took === undefined ? undefined : `${formatTime(deployment.finishedAt)} (after ${took})`],
    ['Events', String(deployment.events)],
  ]);
}

const deploymentColumns: Column<Deployment>[] = [
  { header: 'id', cell: (deployment) => deployment.id },
  { header: 'versions', cell: (deployment) => formatVersions(deployment), maxWidth: 40 },
  { header: 'environment', cell: (deployment) => deployment.environment },
  { header: 'model', cell: (deployment) => `${deployment.model} v${deployment.modelVersion}` },
  { header: 'kind', cell: (deployment) => deployment.kind },
  { header: 'state', cell: (deployment) => deployment.state },
  { header: 'requested', cell: (deployment) => formatTime(deployment.requestedAt) },
  { header: 'finished', cell: (deployment) => formatTime(deployment.finishedAt) },
];

function stepRunDuration(stepRun: StepRun): string {
  if (stepRun.finishedAt === undefined) return '';
  return formatElapsed(Date.parse(stepRun.finishedAt) - Date.parse(stepRun.startedAt));
}

function formatDetailsOf(details: DeploymentDetails, names: PrincipalNames): string {
  const sections = [formatDeployment(details.deployment, names)];
  if (details.stepRuns.length > 0) {
    sections.push(
      `Steps:\n${formatTable(details.stepRuns, [
        { header: 'phase', cell: (stepRun) => stepRun.phase },
        { header: 'step', cell: (stepRun) => stepRun.step },
        { header: 'target', cell: (stepRun) => stepRun.target ?? '' },
        { header: 'attempt', cell: (stepRun) => String(stepRun.attempt) },
        { header: 'state', cell: (stepRun) => stepRun.state },
        {
          header: 'exit',
          cell: (stepRun) => (stepRun.exitCode === undefined ? '' : String(stepRun.exitCode)),
        },
        { header: 'duration', cell: stepRunDuration },
        { header: 'message', cell: (stepRun) => stepRun.message ?? '' },
      ])}`,
    );
  }
  if (details.gates.length > 0) {
    sections.push(
      `Gates:\n${formatTable(details.gates, [
        { header: 'id', cell: (gate) => gate.id },
        { header: 'kind', cell: (gate) => gate.kind },
        { header: 'state', cell: (gate) => gate.state },
        { header: 'needs', cell: (gate) => gateNeeds(gate) },
        { header: 'decided by', cell: (gate) => names.of(gate.decidedBy) },
        { header: 'comment', cell: (gate) => gate.comment ?? '' },
      ])}`,
    );
  }
  if (details.tasks.length > 0) {
    sections.push(
      `Manual tasks:\n${formatTable(details.tasks, [
        { header: 'id', cell: (task) => task.id },
        { header: 'state', cell: (task) => task.state },
        { header: 'task', cell: (task) => task.title },
        { header: 'for', cell: (task) => task.assigneeRole ?? task.assigneeParty ?? '' },
        { header: 'decided by', cell: (task) => names.of(task.decidedBy) },
        { header: 'evidence or reason', cell: (task) => task.evidence ?? task.reason ?? '' },
      ])}`,
    );
  }
  return sections.join('\n\n');
}

/** Who a gate waits for, e.g. `1 of deployment-manager`. */
export function gateNeeds(gate: Gate): string {
  const roles = gate.requiredRoles.length === 0 ? 'anyone' : gate.requiredRoles.join(' or ');
  return `${gate.approvers.length}/${gate.requiredCount} by ${roles}`;
}

async function allEvents(client: SlipwayClient, deploymentId: string): Promise<DeploymentEvent[]> {
  const events: DeploymentEvent[] = [];
  for (;;) {
    const { items } = await client.get<{ items: DeploymentEvent[] }>(
      pathOf('deployments', deploymentId, 'events'),
      { after: events.at(-1)?.sequence ?? 0, limit: eventsPerPage },
    );
    events.push(...items);
    if (items.length < eventsPerPage) return events;
  }
}

/** Prints a requested deployment and, with --watch, follows it; sets the exit code of the watch. */
async function reportRequested(
  context: CommandContext<WatchFlags>,
  deployment: Deployment,
  headline: string,
): Promise<void> {
  const { client, output, options } = context;
  if (options.watch !== true) {
    const names = await PrincipalNames.load(client, !output.json);
    output.result(
      deployment,
      () =>
        `${headline}\n\n${formatDeployment(deployment, names)}\n\nFollow it: slipway deployment watch ${deployment.id}`,
    );
    return;
  }
  // The watch's first line names the deployment and its id; the record shows its states.
  if (output.json) process.stdout.write(`${JSON.stringify(deployment)}\n`);
  const outcomes = await watchDeployments(client, deployment.id, {
    follow: options.follow,
    json: output.json,
    stdout: process.stdout,
  });
  process.exitCode = exitCodeOf(outcomes);
}

function watchOptions(command: Command): Command {
  return command
    .option('--watch', 'follow the deployment live and exit with its outcome (0 succeeded, 1 otherwise)')
    .option(
      '--no-follow',
      'with --watch: stop after this deployment instead of following automatic promotions',
    );
}

/** `slipway deploy`, `slipway promote` and `slipway deployment list|show|events|watch|cancel|rollback`. */
export function registerDeploymentCommands(program: Command): void {
  withConnectionOptions(
    watchOptions(
      program
        .command('deploy')
        .description(
          'Deploy versions or a release into an environment: `deploy shop-web@1.4.2 --to development --watch`',
        )
        .argument('[versions...]', 'the versions to deploy together, each as component@version')
        .requiredOption('--to <environment>', 'the environment to deploy into')
        .option('--release <name>', 'deploy the versions of this release instead of naming them')
        .option('--model <model>', 'the deployment model to use (default: the one model that applies)')
        .option('--reason <text>', 'why, kept in the record')
        .option('--removal', 'remove the versions from the environment instead of installing them'),
    ),
  ).action(
    run<DeployOptions>(async (context) => {
      const { client, options, argumentList } = context;
      const references = argumentList(0).map(referenceOf);
      if (references.length > 0 && options.release !== undefined) {
        throw new UsageError('Name versions or --release, not both.');
      }
      if (references.length === 0 && options.release === undefined) {
        throw new UsageError('Name the versions to deploy (component@version) or a --release.');
      }
      const { body } = await client.post<Deployment>('/deployments', {
        environment: options.to,
        ...(references.length > 0 && { versions: references }),
        ...(options.release !== undefined && { release: options.release }),
        ...(options.model !== undefined && { model: options.model }),
        ...(options.reason !== undefined && { reason: options.reason }),
        ...(options.removal === true && { removal: true }),
      });
      await reportRequested(
        context,
        body,
        `Requested deployment ${body.id}: ${body.kind} of ${formatVersions(body)} into ${body.environment} (${body.state}).`,
      );
    }),
  );

  withConnectionOptions(
    watchOptions(
      program
        .command('promote')
        .description(
          'Promote a version that succeeded in the stage before into the next environment (continuous delivery)',
        )
        .argument('<version>', 'the version as component@version')
        .requiredOption('--to <environment>', 'the environment to promote into')
        .option('--reason <text>', 'why, kept in the record'),
    ),
  ).action(
    run<PromoteOptions>(async (context) => {
      const { client, options, argument } = context;
      const reference = referenceOf(argument(0));
      const { body } = await client.post<Deployment>('/promotions', {
        component: reference.component,
        version: reference.version,
        environment: options.to,
        ...(options.reason !== undefined && { reason: options.reason }),
      });
      await reportRequested(
        context,
        body,
        `Promoted ${formatVersions(body)} to ${body.environment}: deployment ${body.id} (${body.state}).`,
      );
    }),
  );

  const deployment = program
    .command('deployment')
    .description('Deployments: one movement of versions into one environment, with its record');

  withConnectionOptions(
    deployment
      .command('list')
      .description('List deployments, newest first')
      .option('--state <state>', 'only deployments in this state; repeat for several', collectList)
      .option('--environment <environment>', 'only deployments into this environment')
      .option('--component <component>', 'only deployments of this component')
      .option('--model <model>', 'only deployments that follow this model')
      .option('--requested-by <principal>', 'only deployments this principal requested')
      .option('--flow <id>', 'only the deployments of one flow (one version through the stages)')
      .option('--since <time>', 'only deployments requested at or after this time (ISO-8601)')
      .option('--until <time>', 'only deployments requested before this time (ISO-8601)')
      .option('--limit <count>', 'largest number of deployments to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const states: readonly string[] = deploymentStates;
      for (const state of options.state ?? []) {
        if (!states.includes(state)) {
          throw new UsageError(`--state ${state}: the states are ${deploymentStates.join(', ')}.`);
        }
      }
      const page = await client.get<{ items: Deployment[]; nextCursor?: string }>('/deployments', {
        state: options.state,
        environment: options.environment,
        component: options.component,
        model: options.model,
        requestedBy: options.requestedBy,
        flow: options.flow,
        from: options.since,
        to: options.until,
        limit: options.limit,
        cursor: options.cursor,
      });
      output.page(page, deploymentColumns, 'No deployments match.');
    }),
  );

  withConnectionOptions(
    deployment
      .command('show')
      .description('Show a deployment with its step runs, gates and manual tasks')
      .argument('<id>', 'the deployment id'),
  ).action(
    run(async ({ client, output, argument }) => {
      const details = await client.get<DeploymentDetails>(pathOf('deployments', argument(0)));
      const names = await PrincipalNames.load(client, !output.json);
      output.result(details, () => formatDetailsOf(details, names));
    }),
  );

  withConnectionOptions(
    deployment
      .command('events')
      .description("Print a deployment's record: every event in order, each chained to the one before")
      .argument('<id>', 'the deployment id')
      .option('--hashes', "also print each event's hash and the hash it chains to"),
  ).action(
    run<EventsOptions>(async ({ client, output, options, argument }) => {
      const { deployment: shown } = await client.get<DeploymentDetails>(pathOf('deployments', argument(0)));
      const events = await allEvents(client, shown.id);
      const names = await PrincipalNames.load(client, !output.json);
      output.result({ items: events }, () => {
        const width = String(events.at(-1)?.sequence ?? 1).length;
        const lines = [
          `Deployment ${shown.id}: ${shown.kind} of ${formatVersions(shown)} into ${shown.environment} — ${shown.state}, ${events.length} events`,
          '',
        ];
        for (const event of events) {
          const described = describeEvent(event, shown);
          const actor = event.actorId === undefined ? '' : `  [${names.of(event.actorId)}]`;
          const prefix = `${String(event.sequence).padStart(width)}  ${formatTime(event.at)}`;
          described.forEach((line, index) => {
            const lead = index === 0 ? prefix : ' '.repeat(prefix.length);
            lines.push(`${lead}  ${indentLine(line)}${index === 0 ? actor : ''}`);
          });
          if (options.hashes === true) {
            lines.push(`${' '.repeat(prefix.length)}    hash ${event.hash} ← ${event.previousHash}`);
          }
        }
        return lines.join('\n');
      });
    }),
  );

  withConnectionOptions(
    deployment
      .command('watch')
      .description(
        'Follow a deployment live: states, steps per target, logs, gates and tasks; exits 0 when it succeeded, 1 otherwise',
      )
      .argument('<id>', 'the deployment id')
      .option('--no-follow', 'stop after this deployment instead of following automatic promotions'),
  ).action(
    run<{ follow: boolean }>(async ({ client, output, options, argument }) => {
      const outcomes = await watchDeployments(client, argument(0), {
        follow: options.follow,
        json: output.json,
        stdout: process.stdout,
      });
      process.exitCode = exitCodeOf(outcomes);
    }),
  );

  for (const action of ['cancel', 'rollback'] as const) {
    withConnectionOptions(
      deployment
        .command(action)
        .description(
          action === 'cancel'
            ? 'Cancel a deployment that has not started executing'
            : "Roll back a failed deployment with its stage's rollback steps",
        )
        .argument('<id>', 'the deployment id')
        .requiredOption('--reason <text>', 'why, kept in the record'),
    ).action(
      run<ReasonOptions>(async ({ client, output, options, argument }) => {
        const { body } = await client.post<Deployment>(pathOf('deployments', argument(0), action), {
          reason: options.reason,
        });
        output.result(
          body,
          () =>
            `${action === 'cancel' ? 'Cancelled' : 'Rolling back'} deployment ${body.id} of ${formatVersions(body)} in ${body.environment}: ${stateText(body)}` +
            (action === 'rollback' ? `\n\nFollow it: slipway deployment watch ${body.id}` : ''),
        );
      }),
    );
  }
}
