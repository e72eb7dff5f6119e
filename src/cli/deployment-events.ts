import type { Deployment, DeploymentEvent } from '../domain/index.js';

/*
 * Record events as people read them, shared by `deployment events` and `deployment watch`.
 * Event data is whatever the engine recorded; each field is checked before it is used, so
 * an event of a newer server with other fields still prints.
 */

/** One printed line of an event: its text and how deep it is indented under the headline. */
export interface EventLine {
  depth: number;
  text: string;
}

type Fields = Readonly<Record<string, unknown>>;

function fieldsOf(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

function textOf(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

function numberOf(fields: Fields, name: string): number | undefined {
  const value = fields[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function listOf(fields: Fields, name: string): unknown[] {
  const value = fields[name];
  return Array.isArray(value) ? value : [];
}

function textsOf(fields: Fields, name: string): string[] {
  return listOf(fields, name).filter((item): item is string => typeof item === 'string');
}

/** A duration for progress lines: 850ms, 2.4s, 3m05s. */
export function formatElapsed(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.max(0, Math.round(milliseconds))}ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)}s`;
  const seconds = Math.round(milliseconds / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m${rest}s` : `${minutes}m${rest}s`;
}

/** `shop-web@1.4.2, shop-docs@2024.1`. */
export function formatVersions(deployment: Deployment): string {
  return deployment.versions.map((member) => `${member.component}@${member.version}`).join(', ');
}

/**
 * The command that promotes a deployment's versions into an environment. One version names
 * the flow; a release or several versions move together with it.
 */
function promoteCommand(deployment: Deployment, environment: string): string {
  const first = deployment.versions[0];
  const reference = first === undefined ? '<component>@<version>' : `${first.component}@${first.version}`;
  return `slipway promote ${reference} --to ${environment}`;
}

function stepOn(fields: Fields): string {
  const step = textOf(fields, 'step') ?? 'step';
  const target = textOf(fields, 'target');
  const attempt = numberOf(fields, 'attempt');
  return `${step}${target === undefined ? '' : ` on ${target}`}${attempt !== undefined && attempt > 1 ? ` (attempt ${attempt})` : ''}`;
}

function stepFinished(fields: Fields): EventLine[] {
  const succeeded = fields.succeeded === true;
  const exitCode = numberOf(fields, 'exitCode');
  const duration = numberOf(fields, 'durationMilliseconds');
  const by = textOf(fields, 'by');
  const facts = [
    exitCode === undefined ? undefined : `exit ${exitCode}`,
    duration === undefined ? undefined : `in ${formatElapsed(duration)}`,
    by === undefined ? undefined : `by ${by}`,
  ].filter((fact) => fact !== undefined);
  const message = textOf(fields, 'message');
  const detail =
    succeeded && (exitCode !== undefined || message === undefined) ? '' : ` — ${message ?? 'failed'}`;
  return [
    {
      depth: 1,
      text: `${succeeded ? '✓' : '✗'} ${stepOn(fields)}${facts.length === 0 ? '' : `: ${facts.join(' ')}`}${detail}`,
    },
  ];
}

function verificationLines(fields: Fields, kind: 'components' | 'environment'): EventLine[] {
  const lines: EventLine[] = [];
  if (kind === 'components') {
    for (const item of listOf(fields, 'components').map(fieldsOf)) {
      const name = `${textOf(item, 'component') ?? '?'}@${textOf(item, 'version') ?? '?'}`;
      for (const check of listOf(item, 'checks').map(fieldsOf)) {
        lines.push({
          depth: 1,
          text: `${check.passed === true ? '✓' : '✗'} ${name} ${textOf(check, 'check') ?? 'check'}: ${textOf(check, 'message') ?? ''}`,
        });
      }
    }
  } else {
    const targets = listOf(fields, 'targets').map(fieldsOf);
    for (const target of targets) {
      const name = textOf(target, 'target') ?? '?';
      const results = listOf(target, 'results').map(fieldsOf);
      if (results.length === 0) lines.push({ depth: 1, text: `✓ ${name}: no requirements` });
      for (const result of results) {
        lines.push({
          depth: 1,
          text: `${result.passed === true ? '✓' : '✗'} ${name}: ${textOf(result, 'message') ?? textOf(result, 'requirement') ?? ''}`,
        });
      }
    }
    if (targets.length === 0 && fields.passed === false) {
      lines.push({ depth: 1, text: '✗ no targets to check the requirements against' });
    }
  }
  if (lines.length === 0) {
    lines.push({
      depth: 1,
      text: `${fields.passed === false ? '✗' : '✓'} ${kind === 'components' ? 'components' : 'environment'} verified`,
    });
  }
  return lines;
}

function logLines(fields: Fields): EventLine[] {
  return listOf(fields, 'lines')
    .map(fieldsOf)
    .map((line) => {
      const target = textOf(line, 'target') ?? 'server';
      const stream = textOf(line, 'stream');
      const marker = stream === undefined || stream === 'stdout' ? '' : ` (${stream})`;
      return { depth: 3, text: `${target}${marker} | ${textOf(line, 'text') ?? ''}` };
    });
}

function gateOpened(fields: Fields): EventLine[] {
  const kind = textOf(fields, 'kind') ?? 'approval';
  const roles = textsOf(fields, 'requiredRoles');
  const count = numberOf(fields, 'requiredCount');
  const party = textOf(fields, 'party');
  const before = textOf(fields, 'before');
  const who = [
    roles.length > 0 ? `role ${roles.join(' or ')}` : undefined,
    party === undefined ? undefined : `party ${party}`,
  ].filter((part) => part !== undefined);
  const lines: EventLine[] = [
    {
      depth: 1,
      text:
        `⏸ gate ${kind} opened${before === undefined ? '' : ` before step ${before}`}` +
        `${who.length === 0 ? '' : `: needs ${count !== undefined && count > 1 ? `${count} approvals by ` : 'approval by '}${who.join(', ')}`}`,
    },
  ];
  const gateId = textOf(fields, 'gateId');
  if (gateId !== undefined) {
    lines.push({ depth: 2, text: `approve: slipway gate approve ${gateId} --comment "…"` });
    lines.push({ depth: 2, text: `reject:  slipway gate reject ${gateId} --comment "…"` });
  }
  return lines;
}

function taskOpened(fields: Fields): EventLine[] {
  const role = textOf(fields, 'role');
  const party = textOf(fields, 'party');
  const target = textOf(fields, 'target');
  const owner = [
    role === undefined ? undefined : `role ${role}`,
    party === undefined ? undefined : `party ${party}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const lines: EventLine[] = [
    {
      depth: 1,
      text:
        `☐ manual task opened: ${textOf(fields, 'task') ?? textOf(fields, 'step') ?? 'task'}` +
        `${target === undefined ? '' : ` (on ${target})`}${owner === '' ? '' : ` for ${owner}`}`,
    },
  ];
  const checklist = textsOf(fields, 'checklist');
  for (const item of checklist) lines.push({ depth: 2, text: `[ ] ${item}` });
  const taskId = textOf(fields, 'taskId');
  if (taskId !== undefined) {
    const checks = checklist.map((item) => ` --check ${JSON.stringify(item)}`).join('');
    lines.push({ depth: 2, text: `done:   slipway task complete ${taskId} --evidence "…"${checks}` });
    lines.push({ depth: 2, text: `failed: slipway task fail ${taskId} --reason "…"` });
  }
  return lines;
}

/**
 * The lines that describe one record event. The deployment, when known, lets a `promotable`
 * event print the promote command with the right versions.
 */
export function describeEvent(event: DeploymentEvent, deployment?: Deployment): EventLine[] {
  const fields = fieldsOf(event.data);
  switch (event.type) {
    case 'requested':
      return [{ depth: 0, text: `→ requested: ${textOf(fields, 'reason') ?? ''}` }];
    case 'transition':
      return [{ depth: 0, text: `→ ${textOf(fields, 'to') ?? '?'}: ${textOf(fields, 'reason') ?? ''}` }];
    case 'verification.components':
      return verificationLines(fields, 'components');
    case 'verification.environment':
      return verificationLines(fields, 'environment');
    case 'step.started': {
      const party = textOf(fields, 'party');
      const type = textOf(fields, 'type');
      return [
        {
          depth: 1,
          text: `▶ ${stepOn(fields)}${type === undefined ? '' : ` [${type}]`}${party === undefined ? '' : ` by ${party}`}`,
        },
      ];
    }
    case 'step.finished':
      return stepFinished(fields);
    case 'step.interrupted':
      return [
        {
          depth: 1,
          text: `⚠ ${stepOn(fields)} was interrupted; ${fields.safeToRepeat === true ? 'it is safe to repeat, so it runs again' : 'it is not safe to repeat'}`,
        },
      ];
    case 'log':
      return logLines(fields);
    case 'gate.opened':
      return gateOpened(fields);
    case 'gate.decided': {
      const comment = textOf(fields, 'comment');
      const state = textOf(fields, 'state');
      return [
        {
          depth: 1,
          text:
            `${fields.approved === true ? '✓' : '✗'} gate ${textOf(fields, 'kind') ?? ''} ` +
            `${fields.approved === true ? 'approved' : 'rejected'} by ${textOf(fields, 'by') ?? 'someone'}` +
            `${state === 'open' ? ' (more approvals needed)' : ''}${comment === undefined ? '' : `: ${comment}`}`,
        },
      ];
    }
    case 'task.opened':
      return taskOpened(fields);
    case 'task.completed': {
      const evidence = textOf(fields, 'evidence');
      return [
        {
          depth: 1,
          text: `✓ manual task completed by ${textOf(fields, 'by') ?? 'someone'}${evidence === undefined ? '' : `; evidence: ${evidence}`}`,
        },
      ];
    }
    case 'task.failed':
      return [
        {
          depth: 1,
          text: `✗ manual task failed by ${textOf(fields, 'by') ?? 'someone'}: ${textOf(fields, 'reason') ?? ''}`,
        },
      ];
    case 'waiting': {
      const until = textOf(fields, 'until');
      return [
        {
          depth: 1,
          text: `⏳ waiting${until === undefined ? '' : ` until ${until.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`}: ${textOf(fields, 'criterion') ?? ''}`,
        },
      ];
    }
    case 'promotable': {
      const environments = textsOf(fields, 'environments');
      const lines: EventLine[] = [
        {
          depth: 1,
          text: `promotable to stage ${textOf(fields, 'stage') ?? '?'} (${environments.join(', ') || 'no environment yet'}); a person promotes it`,
        },
      ];
      if (deployment !== undefined) {
        for (const environment of environments) {
          lines.push({ depth: 2, text: `promote: ${promoteCommand(deployment, environment)}` });
        }
      }
      return lines;
    }
    case 'promoted':
      return [
        {
          depth: 1,
          text: `promoted to stage ${textOf(fields, 'stage') ?? '?'}: deployment ${textsOf(fields, 'deployments').join(', ')}`,
        },
      ];
    case 'notified': {
      const recipients = numberOf(fields, 'recipients') ?? 0;
      return [
        {
          depth: 1,
          text: `notified ${recipients} ${recipients === 1 ? 'person' : 'people'} of the outcome (${textOf(fields, 'outcome') ?? '?'})`,
        },
      ];
    }
    default:
      return [{ depth: 1, text: `${event.type} ${JSON.stringify(event.data)}` }];
  }
}

/** A text field of an event's data, when it has one. */
export function eventText(event: DeploymentEvent, name: string): string | undefined {
  return textOf(fieldsOf(event.data), name);
}

/** The deployments a `promoted` event created. */
export function promotedDeployments(event: DeploymentEvent): string[] {
  return event.type === 'promoted' ? textsOf(fieldsOf(event.data), 'deployments') : [];
}

/** Indents event lines: two spaces per level. */
export function indentLine(line: EventLine): string {
  return `${'  '.repeat(line.depth)}${line.text}`;
}
