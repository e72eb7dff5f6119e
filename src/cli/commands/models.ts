import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  type DeploymentPlan,
  describeActor,
  formatModelProblem,
  type ModelChange,
  type ModelProblem,
  type ModelVersion,
  type PlannedStep,
  type StagePlan,
  type Version,
} from '../../domain/index.js';
import { pathOf, type SlipwayClient } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { parseCount, UsageError } from '../options.js';
import { type Column, formatDetails, formatTable, formatTime } from '../output.js';
import { PrincipalNames } from '../principals.js';

interface ApplyOptions {
  changelog?: string;
}

interface ShowOptions {
  version?: number;
  source?: boolean;
}

interface DiffOptions {
  from?: number;
  to?: number;
}

interface TestOptions {
  to: string;
  version?: string;
  component?: string;
  stage?: string;
  modelVersion?: number;
  removal?: boolean;
}

interface Validation {
  valid: boolean;
  name?: string;
  problems: ModelProblem[];
}

interface Applied {
  created: boolean;
  version: ModelVersion;
}

interface VersionSummary {
  number: number;
  changelog: string;
  fingerprint: string;
  createdAt: string;
  createdBy: string;
}

interface ModelHistory {
  latest: ModelVersion;
  versions: VersionSummary[];
}

interface Diff {
  from: number;
  to: number;
  changes: ModelChange[];
}

interface DryRun {
  plan: DeploymentPlan;
  supervisedFirstRun: boolean;
}

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
    return 'no such file';
  }
  return error instanceof Error ? error.message : String(error);
}

/** Reads a model file; `-` reads standard input. */
async function readModel(path: string): Promise<string> {
  try {
    if (path !== '-') return await readFile(path, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the model ${path}: ${errorText(error)}.`);
  }
}

/** The stage names of a stored model definition, in flow order. */
function stageNames(definition: unknown): string[] {
  if (typeof definition !== 'object' || definition === null || !('stages' in definition)) return [];
  const stages: unknown = definition.stages;
  if (!Array.isArray(stages)) return [];
  return stages.map((stage: unknown) =>
    typeof stage === 'object' && stage !== null && 'name' in stage ? String(stage.name) : '?',
  );
}

function descriptionOf(definition: unknown): string | undefined {
  if (typeof definition !== 'object' || definition === null || !('description' in definition))
    return undefined;
  return typeof definition.description === 'string' ? definition.description : undefined;
}

function formatModelVersion(version: ModelVersion, names: PrincipalNames): string {
  return formatDetails([
    ['Model', version.model],
    ['Version', String(version.number)],
    ['Description', descriptionOf(version.definition)],
    ['Stages', stageNames(version.definition).join(' → ')],
    ['Changelog', version.changelog],
    ['Fingerprint', version.fingerprint],
    ['Applied', formatTime(version.createdAt)],
    ['Applied by', names.of(version.createdBy)],
  ]);
}

function stepLine(step: PlannedStep, index: number): string[] {
  const who = step.actor === undefined ? '' : `, by ${describeActor(step.actor)}`;
  const kind = step.automated ? 'automated' : 'manual';
  const lines = [
    `${index + 1}. ${step.name} (${step.type}, ${kind}${who}, timeout ${step.timeout}): ${step.summary}`,
  ];
  for (const detail of step.details) lines.push(`     ${detail}`);
  return lines;
}

function stepSection(title: string, steps: readonly PlannedStep[]): string[] {
  if (steps.length === 0) return [`  ${title}: none`];
  return [
    `  ${title}:`,
    ...steps.flatMap((step, index) => stepLine(step, index).map((line) => `    ${line}`)),
  ];
}

function formatStage(stage: StagePlan, listBlockers: boolean): string[] {
  const lines = [`Stage ${stage.index + 1}: ${stage.name} → ${stage.destination}`];
  if (stage.gates.length === 0) lines.push('  Gates: none');
  else {
    lines.push('  Gates:');
    for (const gate of stage.gates) lines.push(`    - ${gate.description}`);
  }
  if (stage.targets.length === 0) lines.push('  Targets: none');
  else {
    const ready = stage.targets.filter((target) => target.ready).length;
    lines.push(`  Targets (${ready} of ${stage.targets.length} ready):`);
    for (const target of stage.targets) {
      lines.push(`    ${target.name}: ${target.ready ? 'ready' : 'NOT READY'}`);
      for (const result of target.requirements) {
        lines.push(`      ${result.passed ? '✓' : '✗'} ${result.requirement}: ${result.message}`);
      }
      for (const placeholder of target.unboundPlaceholders) {
        lines.push(`      ✗ {{ ${placeholder} }} is used by a step but the target cannot fill it`);
      }
    }
  }
  lines.push(`  Rollout: ${stage.rollout.strategy}, ${stage.rollout.summary}`);
  for (const wave of stage.rollout.waves) {
    lines.push(`    wave ${wave.index + 1}: ${wave.targets.join(', ') || 'no targets'}`);
    if (wave.gateAfter !== undefined) lines.push(`      then: ${wave.gateAfter.description}`);
  }
  lines.push(
    ...stepSection('Steps', stage.steps),
    ...stepSection('Acceptance checks', stage.acceptance),
    ...stepSection('Rollback', stage.rollback),
  );
  lines.push(`  Promotion: ${stage.promotion.description}`);
  if (stage.timeout !== undefined) lines.push(`  Time limit: ${stage.timeout}`);
  if (listBlockers && stage.blockers.length > 0) {
    lines.push('  Blockers:');
    for (const blocker of stage.blockers) lines.push(`    ✗ ${blocker}`);
  }
  return lines;
}

function formatDryRun(dryRun: DryRun, modelVersion: number | undefined, environment: string): string {
  const plan = dryRun.plan;
  const subject =
    plan.component === undefined
      ? `version ${plan.version}`
      : `${plan.component}@${plan.version}${plan.service === undefined ? '' : ` (service ${plan.service})`}`;
  const lines = [
    `Dry run of model ${plan.model}${modelVersion === undefined ? '' : ` version ${modelVersion}`}: ${plan.kind} of ${subject} into ${environment}. Nothing runs.`,
    '',
  ];
  // With one stage, its blockers are the plan's, listed once at the end.
  for (const stage of plan.stages) lines.push(...formatStage(stage, plan.stages.length > 1), '');
  if (plan.requiredParts.length > 0) {
    lines.push(`Parts the version's manifest must list: ${plan.requiredParts.join(', ')}`, '');
  }
  const actors = [...plan.actors];
  if (dryRun.supervisedFirstRun) {
    const duty = `approves the supervised first run of model ${plan.model} in ${environment}`;
    const manager = actors.find((actor) => actor.actor.role === 'deployment-manager');
    if (manager === undefined) {
      actors.push({
        actor: { role: 'deployment-manager' },
        label: 'role deployment-manager',
        duties: [duty],
      });
    } else actors[actors.indexOf(manager)] = { ...manager, duties: [...manager.duties, duty] };
  }
  if (actors.length === 0) lines.push('Who must act: nobody; every step is automated.');
  else {
    lines.push('Who must act:');
    for (const actor of actors) {
      lines.push(`  ${actor.label}:`);
      for (const duty of actor.duties) lines.push(`    - ${duty}`);
    }
  }
  lines.push(
    '',
    dryRun.supervisedFirstRun
      ? 'Supervised first run: yes. This model version has not run in a live-tier environment yet, so its first deployment there waits for a deployment manager to approve it (slipway gate approve).'
      : 'Supervised first run: no.',
    '',
  );
  if (plan.ready) lines.push('Ready: nothing blocks this deployment.');
  else {
    lines.push(`Not ready: ${plan.blockers.length} blocker${plan.blockers.length === 1 ? '' : 's'}.`);
    for (const blocker of plan.blockers) lines.push(`  ✗ ${blocker}`);
  }
  return lines.join('\n');
}

/** The newest registered version of a component, for dry runs that name none. */
async function newestVersion(client: SlipwayClient, component: string): Promise<string> {
  const page = await client.get<{ items: Version[] }>(pathOf('components', component, 'versions'), {
    limit: 1,
  });
  const newest = page.items[0];
  if (newest === undefined) {
    throw new UsageError(`${component} has no registered versions yet; name one with --version.`);
  }
  return newest.version;
}

/** `slipway model validate|apply|list|show|diff|test`. */
export function registerModelCommands(program: Command): void {
  const model = program
    .command('model')
    .description('Deployment models: repeatable, versioned approaches to a type of deployment, as YAML');

  withConnectionOptions(
    model
      .command('validate')
      .description('Check a model file without applying it; every problem is listed with its line and column')
      .argument('<file>', 'the model as YAML or JSON; - reads standard input'),
  ).action(
    run(async ({ client, output, argument }) => {
      const file = argument(0);
      const source = await readModel(file);
      const { body } = await client.post<Validation>('/models/validate', { source });
      output.result(body, () => {
        if (body.valid) return `${file}: valid deployment model ${body.name ?? ''}`.trimEnd();
        const count = body.problems.length === 1 ? '1 problem' : `${body.problems.length} problems`;
        return [
          `${file}: not a valid deployment model (${count}):`,
          ...body.problems.map((problem) => `  ${formatModelProblem(problem)}`),
        ].join('\n');
      });
      if (!body.valid) process.exitCode = 1;
    }),
  );

  withConnectionOptions(
    model
      .command('apply')
      .description(
        'Store a model: a changed model becomes a new version; applying the same content again changes nothing',
      )
      .argument('<file>', 'the model as YAML or JSON; - reads standard input')
      .option('--changelog <text>', 'what changed and why, kept with the new version'),
  ).action(
    run<ApplyOptions>(async ({ client, output, options, argument }) => {
      const source = await readModel(argument(0));
      const { body } = await client.post<Applied>('/models', {
        source,
        ...(options.changelog !== undefined && { changelog: options.changelog }),
      });
      const names = await PrincipalNames.load(client, !output.json);
      const version = body.version;
      const headline = body.created
        ? `Applied model ${version.model}: created version ${version.number}.`
        : `Model ${version.model} is unchanged: version ${version.number} already has this content, so no version was created.`;
      output.result(body, () => `${headline}\n\n${formatModelVersion(version, names)}`);
    }),
  );

  withConnectionOptions(
    model.command('list').description('List the models with their latest version'),
  ).action(
    run(async ({ client, output }) => {
      const page = await client.get<{ items: ModelVersion[] }>('/models');
      const columns: Column<ModelVersion>[] = [
        { header: 'name', cell: (version) => version.model },
        { header: 'version', cell: (version) => String(version.number) },
        { header: 'stages', cell: (version) => stageNames(version.definition).join(' → '), maxWidth: 80 },
        { header: 'applied', cell: (version) => formatTime(version.createdAt) },
        { header: 'changelog', cell: (version) => version.changelog },
      ];
      output.page(
        page,
        columns,
        'No models yet: write one (see docs/models.md) and run `slipway model apply`.',
      );
    }),
  );

  withConnectionOptions(
    model
      .command('show')
      .description('Show a model version and the history of versions with their changelog')
      .argument('<model>', 'name or id of the model')
      .option('--version <number>', 'show this version instead of the latest', parseCount)
      .option('--source', 'print only the YAML source of the version, e.g. to edit and apply it again'),
  ).action(
    run<ShowOptions>(async ({ client, output, options, argument }) => {
      const history = await client.get<ModelHistory>(pathOf('models', argument(0)));
      const shown =
        options.version === undefined
          ? history.latest
          : await client.get<ModelVersion>(
              pathOf('models', argument(0), 'versions', String(options.version)),
            );
      if (options.source === true && !output.json) {
        process.stdout.write(shown.source.endsWith('\n') ? shown.source : `${shown.source}\n`);
        return;
      }
      const names = await PrincipalNames.load(client, !output.json);
      const body = options.version === undefined ? history : { ...history, shown };
      output.result(body, () => {
        const table = formatTable(history.versions, [
          { header: 'version', cell: (version) => String(version.number) },
          { header: 'applied', cell: (version) => formatTime(version.createdAt) },
          { header: 'by', cell: (version) => names.of(version.createdBy) },
          { header: 'fingerprint', cell: (version) => `${version.fingerprint.slice(0, 19)}…` },
          { header: 'changelog', cell: (version) => version.changelog, maxWidth: 80 },
        ]);
        return `${formatModelVersion(shown, names)}\n\nHistory (${history.versions.length} version${history.versions.length === 1 ? '' : 's'}, newest first):\n${table}`;
      });
    }),
  );

  withConnectionOptions(
    model
      .command('diff')
      .description(
        'What changed between two versions of a model (default: the latest against the one before)',
      )
      .argument('<model>', 'name or id of the model')
      .option('--from <number>', 'the older version (default: the one before --to)', parseCount)
      .option('--to <number>', 'the newer version (default: the latest)', parseCount),
  ).action(
    run<DiffOptions>(async ({ client, output, options, argument }) => {
      const diff = await client.get<Diff>(pathOf('models', argument(0), 'diff'), {
        from: options.from,
        to: options.to,
      });
      output.result(diff, () => {
        const heading = `Model ${argument(0)}, version ${diff.from} → ${diff.to}`;
        if (diff.changes.length === 0) return `${heading}: no changes.`;
        const count = diff.changes.length === 1 ? '1 change' : `${diff.changes.length} changes`;
        return [`${heading}: ${count}`, ...diff.changes.map((change) => `  ${change.summary}`)].join('\n');
      });
    }),
  );

  withConnectionOptions(
    model
      .command('test')
      .description(
        'Dry run: the whole plan of a deployment into an environment, and what blocks it, without running a step',
      )
      .argument('<model>', 'name or id of the model')
      .requiredOption('--to <environment>', 'the environment to plan a deployment into')
      .option('--version <version>', 'the component version to plan for (default: the newest of --component)')
      .option('--component <component>', 'the component to plan for; fills {{ component }} and {{ service }}')
      .option('--stage <stage>', 'plan this stage of the model instead of the one for the environment')
      .option('--model-version <number>', 'plan with this model version (default: the latest)', parseCount)
      .option('--removal', 'plan a removal instead of an install or upgrade'),
  ).action(
    run<TestOptions>(async ({ client, output, options, argument }) => {
      const version =
        options.version ??
        (options.component === undefined ? '<version>' : await newestVersion(client, options.component));
      const { body } = await client.post<DryRun>(pathOf('models', argument(0), 'test'), {
        version,
        environment: options.to,
        ...(options.component !== undefined && { component: options.component }),
        ...(options.stage !== undefined && { stage: options.stage }),
        ...(options.modelVersion !== undefined && { modelVersion: options.modelVersion }),
        ...(options.removal === true && { kind: 'removal' }),
      });
      const modelVersion =
        options.modelVersion ??
        (output.json
          ? undefined
          : (await client.get<ModelHistory>(pathOf('models', argument(0)))).latest.number);
      output.result(body, () => formatDryRun(body, modelVersion, options.to));
      if (!body.plan.ready) process.exitCode = 1;
    }),
  );
}
