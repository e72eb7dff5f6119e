import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canTransition,
  type Deployment,
  type DeploymentEvent,
  type DeploymentState,
  deploymentStates,
  isTerminal,
  type StepRun,
} from '../../src/domain/index.js';
import { ensureBuilt, ServerProcess } from '../support/server-process.js';
import { createTestDatabase, dialectsUnderTest, type TestDatabase } from '../support/stores.js';

/*
 * Durability under kill -9. The real server runs as a child process; the test requests a
 * batch of deployments through its API and kills the process at random moments (seeded, so
 * the schedule can be replayed with SLIPWAY_CRASH_SEED), restarting it on the same database
 * each time. Every shell step appends lines with a unique marker to a log file outside the
 * database, so the side effects that really happened can be held against the records.
 */

const deploymentCount = 24;
const killCount = 6;
/** How long after a (re)start the next kill lands, in ms. */
const killDelay = { min: 300, max: 2200 };
/** Gap before each deployment request, in ms. */
const requestGap = { min: 0, max: 400 };
/** Share of versions that fail the second stage's acceptance check (and so roll back). */
const badShare = 0.25;
/** How long the deployments may take to finish after the last restart. */
const settleMilliseconds = 45_000;
/** PostgreSQL nodes wait for a dead node's leases to lapse; keep that short here. */
const leaseMilliseconds = 3000;

const seed = Number(process.env.SLIPWAY_CRASH_SEED ?? randomBytes(4).readUInt32BE(0));
if (!Number.isInteger(seed)) throw new Error(`SLIPWAY_CRASH_SEED must be an integer, not ${seed}.`);

/** A small seeded generator (mulberry32): the same seed gives the same schedule. */
function seededRandom(initial: number): () => number {
  let state = initial >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function between(random: () => number, range: { min: number; max: number }): number {
  return Math.round(range.min + random() * (range.max - range.min));
}

/** What the model says about each step the test checks. */
interface StepSpec {
  name: string;
  shell: boolean;
  safeToRepeat: boolean;
}

/** Everything the run is made of, drawn from the seed before anything starts. */
interface Schedule {
  killDelays: number[];
  requests: { gap: number; version: string }[];
}

function scheduleOf(runSeed: number): Schedule {
  const random = seededRandom(runSeed);
  const killDelays = Array.from({ length: killCount }, () => between(random, killDelay));
  const requests = Array.from({ length: deploymentCount }, (_, index) => ({
    gap: between(random, requestGap),
    version: `1.0.${index}${random() < badShare ? '-bad' : ''}`,
  }));
  return { killDelays, requests };
}

/**
 * A shell command that records its own run: a `begin` line before the work and an `end` line
 * after it, both with a marker unique to this invocation, the deployment, step and target.
 */
function markedCommand(logFile: string, step: string, work: string): string {
  const who = `$SLIPWAY_DEPLOYMENT_ID ${step} \${SLIPWAY_TARGET:--}`;
  return [
    't=$(date +%s%N)',
    `echo "begin ${who} $$-$t $t" >> '${logFile}'`,
    `echo "${step} on \${SLIPWAY_TARGET:-the server}"`,
    work,
    `echo "end ${who} $$-$t $(date +%s%N)" >> '${logFile}'`,
  ].join('; ');
}

function shellStep(logFile: string, name: string, safeToRepeat: boolean, work: string) {
  return {
    name,
    type: 'shell',
    command: markedCommand(logFile, name, work),
    ...(safeToRepeat && { safeToRepeat: true }),
  };
}

/** The model as JSON (which the API accepts as YAML), and what each of its steps is. */
function crashModel(logFile: string): { source: string; steps: Map<string, StepSpec> } {
  const model = {
    apiVersion: 'slipway/v1',
    kind: 'DeploymentModel',
    name: 'crash-web',
    description: 'Steps that record their side effects, for the crash test',
    appliesTo: { componentKinds: ['software'] },
    stages: [
      {
        name: 'first',
        environment: 'crash-a',
        steps: [
          shellStep(logFile, 'fetch', true, 'sleep 0.2'),
          shellStep(logFile, 'install', false, 'sleep 0.3'),
          { name: 'settle', type: 'wait', duration: '1s' },
          shellStep(logFile, 'configure', true, 'sleep 0.2'),
        ],
        acceptance: [shellStep(logFile, 'probe-first', true, 'sleep 0.1')],
        promotion: 'automatic',
      },
      {
        name: 'second',
        environment: 'crash-b',
        entryCriteria: ['succeeded in first'],
        steps: [
          shellStep(logFile, 'migrate', false, 'sleep 0.2'),
          shellStep(logFile, 'switch', true, 'sleep 0.2'),
        ],
        acceptance: [
          shellStep(
            logFile,
            'probe-second',
            false,
            `sleep 0.1; case "$SLIPWAY_VERSION" in *bad*) exit 3;; esac`,
          ),
        ],
        rollback: [shellStep(logFile, 'restore', true, 'sleep 0.2')],
      },
    ],
  };
  const steps = new Map<string, StepSpec>();
  for (const stage of model.stages) {
    for (const step of [...stage.steps, ...stage.acceptance, ...(stage.rollback ?? [])]) {
      steps.set(step.name, {
        name: step.name,
        shell: step.type === 'shell',
        safeToRepeat: step.type === 'wait' || ('safeToRepeat' in step && step.safeToRepeat === true),
      });
    }
  }
  return { source: JSON.stringify(model, undefined, 2), steps };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server of the moment: replaced at every restart. */
class ServerUnderTest {
  server: ServerProcess | undefined;
  readonly stderr: string[] = [];
  /** When each kill -9 was sent (ms since the epoch). */
  readonly killedAt: number[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly token: string,
  ) {}

  async start(): Promise<void> {
    this.server = await ServerProcess.start(this.env);
  }

  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.killedAt.push(Date.now());
    await server.kill();
    this.stderr.push(...server.stderr);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await server.kill();
    this.stderr.push(...server.stderr);
  }

  /** Waits until a server is up. */
  async up(): Promise<ServerProcess> {
    for (;;) {
      if (this.server !== undefined) return this.server;
      await sleep(20);
    }
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const server = await this.up();
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Sends a request until a server answers it; a crash in between may leave a duplicate. */
  async retried<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.call<T>(method, path, body);
      } catch (error) {
        if ((error instanceof HttpError && error.status < 500) || attempt >= 30) throw error;
        await sleep(50);
      }
    }
  }
}

/** One run of a shell step as the log file tells it. */
interface Invocation {
  deploymentId: string;
  step: string;
  target: string;
  marker: string;
  beganAt: number;
  endedAt?: number;
}

function readInvocations(logFile: string): Invocation[] {
  if (!existsSync(logFile)) return [];
  const byMarker = new Map<string, Invocation>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const [kind, deploymentId, step, target, marker, nanoseconds] = line.split(' ');
    if (
      kind === undefined ||
      deploymentId === undefined ||
      step === undefined ||
      target === undefined ||
      marker === undefined ||
      nanoseconds === undefined
    )
      continue;
    const at = Number(BigInt(nanoseconds) / 1000n) / 1000; // ms since the epoch, with fractions
    if (kind === 'begin') byMarker.set(marker, { deploymentId, step, target, marker, beganAt: at });
    else if (kind === 'end') {
      const known = byMarker.get(marker);
      if (known !== undefined) known.endedAt = at;
    }
  }
  return [...byMarker.values()];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fieldOf(event: DeploymentEvent, name: string): unknown {
  const data = event.data;
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined;
}

function asState(value: unknown): DeploymentState | undefined {
  return deploymentStates.find((state) => state === value);
}

interface Examined {
  deployment: Deployment;
  stepRuns: StepRun[];
  events: DeploymentEvent[];
}

/** Checks one deployment's record against the transition table and its step runs; returns problems. */
function checkRecord({ deployment, stepRuns, events }: Examined, steps: Map<string, StepSpec>): string[] {
  const problems: string[] = [];
  const label = `deployment ${deployment.id} (${deployment.stage})`;
  if (!isTerminal(deployment.state))
    problems.push(`${label} is stuck in ${deployment.state}: ${deployment.stateReason ?? ''}`);
  if (events.length !== deployment.events)
    problems.push(`${label} counts ${deployment.events} events but ${events.length} were read`);

  // Transitions follow the table, one after another, and end in the deployment's state.
  let state: DeploymentState = 'requested';
  if (events[0]?.type !== 'requested') problems.push(`${label} does not start with a requested event`);
  for (const event of events) {
    if (event.type !== 'transition') continue;
    const from = asState(fieldOf(event, 'from'));
    const to = asState(fieldOf(event, 'to'));
    if (from !== state || to === undefined || !canTransition(from, to))
      problems.push(
        `${label} event ${event.sequence}: transition ${String(from)} → ${String(to)} after ${state}`,
      );
    if (to !== undefined) state = to;
  }
  if (state !== deployment.state)
    problems.push(`${label} record ends in ${state}, the row says ${deployment.state}`);

  // step.started / step.finished / step.interrupted match the step_runs rows one for one.
  const runs = new Map(stepRuns.map((run) => [run.id, run]));
  const seen = new Map<string, { started: number[]; finished: number[]; interrupted: number[] }>();
  const note = (event: DeploymentEvent, kind: 'started' | 'finished' | 'interrupted'): void => {
    const id = text(fieldOf(event, 'stepRunId')) ?? '';
    const entry = seen.get(id) ?? { started: [], finished: [], interrupted: [] };
    entry[kind].push(event.sequence);
    seen.set(id, entry);
    const run = runs.get(id);
    if (run === undefined) {
      problems.push(`${label} event ${event.sequence} (${event.type}) names an unknown step run ${id}`);
      return;
    }
    if (fieldOf(event, 'step') !== run.step)
      problems.push(
        `${label} event ${event.sequence} names step ${String(fieldOf(event, 'step'))}, run ${id} is ${run.step}`,
      );
    const attempt = fieldOf(event, 'attempt');
    if (attempt !== undefined && attempt !== run.attempt)
      problems.push(
        `${label} event ${event.sequence} says attempt ${String(attempt)}, run ${id} is attempt ${run.attempt}`,
      );
    const target = fieldOf(event, 'target');
    if (target !== undefined && target !== run.target)
      problems.push(
        `${label} event ${event.sequence} says target ${String(target)}, run ${id} is on ${String(run.target)}`,
      );
    if (kind === 'finished' && fieldOf(event, 'succeeded') !== (run.state === 'succeeded'))
      problems.push(
        `${label} event ${event.sequence} says succeeded=${String(fieldOf(event, 'succeeded'))}, run ${id} is ${run.state}`,
      );
  };
  for (const event of events) {
    if (event.type === 'step.started') note(event, 'started');
    else if (event.type === 'step.finished') note(event, 'finished');
    else if (event.type === 'step.interrupted') note(event, 'interrupted');
  }
  for (const run of stepRuns) {
    const entry = seen.get(run.id) ?? { started: [], finished: [], interrupted: [] };
    const where = `${label} run ${run.step}#${run.attempt} on ${run.target ?? 'the server'} (${run.state})`;
    if (entry.started.length !== 1) problems.push(`${where} has ${entry.started.length} step.started events`);
    const finishedExpected = run.state === 'succeeded' || run.state === 'failed' ? 1 : 0;
    const interruptedExpected = run.state === 'interrupted' ? 1 : 0;
    if (entry.finished.length !== finishedExpected)
      problems.push(`${where} has ${entry.finished.length} step.finished events`);
    if (entry.interrupted.length !== interruptedExpected)
      problems.push(`${where} has ${entry.interrupted.length} step.interrupted events`);
    const ended = [...entry.finished, ...entry.interrupted];
    if (ended.some((sequence) => sequence < (entry.started[0] ?? 0)))
      problems.push(`${where} ended before it started in the record`);
    if (isTerminal(deployment.state) && (run.state === 'running' || run.state === 'waiting'))
      problems.push(`${where} is still ${run.state} although the deployment ended`);
  }

  // Runs of one step on one target: attempts 1..n, every one but the last interrupted, and
  // a repeat only for a step the model marks safe to repeat.
  const byKey = new Map<string, StepRun[]>();
  for (const run of stepRuns) {
    const key = `${run.phase}/${run.stepIndex}/${run.target ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  for (const group of byKey.values()) {
    group.sort((left, right) => left.attempt - right.attempt);
    const first = group[0] as StepRun;
    const where = `${label} step ${first.step} on ${first.target ?? 'the server'}`;
    if (group.some((run, index) => run.attempt !== index + 1))
      problems.push(`${where} has attempts ${group.map((run) => run.attempt).join(', ')}`);
    if (group.slice(0, -1).some((run) => run.state !== 'interrupted'))
      problems.push(`${where} was run again after ${group.map((run) => run.state).join(', ')}`);
    if (group.length > 1 && steps.get(first.step)?.safeToRepeat !== true)
      problems.push(`${where} is not safe to repeat but ran ${group.length} times`);
  }

  // Each batch of step.interrupted events is followed, in the same transaction, by the next
  // attempt (safe to repeat) or by the deployment failing (or rolling back) for that reason.
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index] as DeploymentEvent;
    if (event.type !== 'step.interrupted' || events[index - 1]?.type === 'step.interrupted') continue;
    const batch: DeploymentEvent[] = [];
    let next = index;
    while (events[next]?.type === 'step.interrupted') batch.push(events[next++] as DeploymentEvent);
    const step = text(fieldOf(event, 'step')) ?? '';
    const spec = steps.get(step);
    const follow = events.slice(next, next + batch.length);
    if (spec?.safeToRepeat === true) {
      for (const interrupted of batch) {
        const again = follow.find(
          (candidate) =>
            candidate.type === 'step.started' &&
            fieldOf(candidate, 'step') === step &&
            fieldOf(candidate, 'target') === fieldOf(interrupted, 'target') &&
            fieldOf(candidate, 'attempt') === Number(fieldOf(interrupted, 'attempt')) + 1,
        );
        if (again === undefined)
          problems.push(
            `${label} event ${interrupted.sequence}: ${step} was interrupted but not started again`,
          );
      }
    } else {
      const ending = events[next];
      const reason = ending === undefined ? '' : (text(fieldOf(ending, 'reason')) ?? '');
      if (
        ending?.type !== 'transition' ||
        !['failed', 'rolling-back'].includes(String(fieldOf(ending, 'to'))) ||
        !reason.includes(`Step ${step} was interrupted`) ||
        !reason.includes('not marked safe to repeat')
      )
        problems.push(
          `${label} event ${event.sequence}: ${step} (not safe to repeat) was interrupted, then ${ending?.type ?? 'nothing'} ${String(ending === undefined ? '' : fieldOf(ending, 'to'))}: ${reason}`,
        );
    }
  }
  return problems;
}

/**
 * A run is recorded as interrupted only when the node running it really stopped: a kill
 * falls between the run's start and the record of its interruption. (An interruption with
 * no kill would mean a live node took its own running step for a dead one's.)
 */
function checkInterruptionsFollowKills(examined: Examined[], killedAt: number[]): string[] {
  const problems: string[] = [];
  for (const { deployment, stepRuns, events } of examined) {
    for (const event of events.filter((candidate) => candidate.type === 'step.interrupted')) {
      const run = stepRuns.find((candidate) => candidate.id === fieldOf(event, 'stepRunId'));
      if (run === undefined) continue; // Reported by checkRecord.
      const started = Date.parse(run.startedAt);
      const recorded = Date.parse(event.at);
      if (!killedAt.some((kill) => started <= kill && kill <= recorded))
        problems.push(
          `deployment ${deployment.id}: ${run.step}#${run.attempt} on ${run.target ?? 'the server'} started ${run.startedAt} and was recorded as interrupted at ${event.at} with no kill in between`,
        );
    }
  }
  return problems;
}

/** Holds the side effects in the log file against the step runs; returns problems. */
function checkSideEffects(
  examined: Examined[],
  invocations: Invocation[],
  steps: Map<string, StepSpec>,
): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Invocation[]>();
  for (const invocation of invocations) {
    const key = `${invocation.deploymentId}/${invocation.step}/${invocation.target}`;
    byKey.set(key, [...(byKey.get(key) ?? []), invocation]);
  }
  const known = new Set<string>();
  for (const { deployment, stepRuns } of examined) {
    const runsByKey = new Map<string, StepRun[]>();
    for (const run of stepRuns) {
      if (steps.get(run.step)?.shell !== true) continue;
      const key = `${deployment.id}/${run.step}/${run.target ?? '-'}`;
      runsByKey.set(key, [...(runsByKey.get(key) ?? []), run]);
    }
    for (const [key, runs] of runsByKey) {
      known.add(key);
      runs.sort((left, right) => left.attempt - right.attempt);
      const ran = (byKey.get(key) ?? []).sort((left, right) => left.beganAt - right.beganAt);
      // Each invocation belongs to the newest attempt recorded as started before it began.
      const perRun = new Map<string, Invocation[]>();
      for (const invocation of ran) {
        const owner = runs.filter((run) => Date.parse(run.startedAt) <= invocation.beganAt).at(-1);
        if (owner === undefined) {
          problems.push(
            `${key}: a run began at ${new Date(invocation.beganAt).toISOString()}, before any start of the step was recorded (first ${runs[0]?.startedAt})`,
          );
          continue;
        }
        perRun.set(owner.id, [...(perRun.get(owner.id) ?? []), invocation]);
      }
      for (const run of runs) {
        const mine = perRun.get(run.id) ?? [];
        const where = `${key} attempt ${run.attempt} (${run.state})`;
        if (mine.length > 1) {
          const after = run.finishedAt === undefined ? '' : ` (recorded finished at ${run.finishedAt})`;
          problems.push(
            `${where} ran ${mine.length} times${after}: ${mine.map((invocation) => new Date(invocation.beganAt).toISOString()).join(', ')}`,
          );
        }
        if ((run.state === 'succeeded' || run.state === 'failed') && mine.length === 0)
          problems.push(`${where} is recorded as ${run.state} but never ran`);
        const invocation = mine[0];
        if (run.state === 'succeeded' && invocation !== undefined) {
          if (invocation.endedAt === undefined)
            problems.push(`${where} is recorded as succeeded but never finished`);
          else if (run.finishedAt !== undefined && invocation.endedAt > Date.parse(run.finishedAt) + 1)
            problems.push(
              `${where} finished at ${new Date(invocation.endedAt).toISOString()}, after its recorded end ${run.finishedAt}`,
            );
        }
      }
    }
  }
  for (const [key, ran] of byKey) {
    if (!known.has(key)) problems.push(`${key}: ran ${ran.length} times but no run of it is recorded`);
  }
  return problems;
}

ensureBuilt();
const adminToken = `slipway_crash_${randomBytes(24).toString('hex')}`;

describe.each(await dialectsUnderTest())('durability under kill -9 on %s', (dialect) => {
  let database: TestDatabase;
  let scratch: string;
  let cluster: ServerUnderTest | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    scratch = mkdtempSync(join(tmpdir(), 'slipway-crash-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    // Shell steps of a killed server run on until their short sleeps end; let them finish.
    await sleep(600);
    await database?.drop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('continues or ends every deployment in a recorded state, never repeating a recorded step', async () => {
    const started = Date.now();
    const schedule = scheduleOf(seed);
    const logFile = join(scratch, 'side-effects.log');
    const env: Record<string, string> = {
      SLIPWAY_ADMIN_TOKEN: adminToken,
      SLIPWAY_LOG_LEVEL: 'warn',
      SLIPWAY_ENGINE_LEASE_MS: String(leaseMilliseconds),
      SLIPWAY_DATA_DIR: database.options.dataDir ?? join(scratch, 'data'),
      ...(database.options.databaseUrl !== undefined && {
        SLIPWAY_DATABASE_URL: database.options.databaseUrl,
      }),
    };
    const servers = new ServerUnderTest(env, adminToken);
    cluster = servers;
    console.log(
      `[crash ${dialect}] seed ${seed} (replay with SLIPWAY_CRASH_SEED=${seed}); kill delays ${schedule.killDelays.join(', ')} ms`,
    );
    await servers.start();

    // The set-up, through the API.
    const { source, steps } = crashModel(logFile);
    await servers.call('POST', '/api/v1/services', { name: 'crash-shop' });
    await servers.call('POST', '/api/v1/components', {
      service: 'crash-shop',
      name: 'crash-web',
      kind: 'software',
    });
    for (const [environment, tier, targets] of [
      ['crash-a', 'development', ['a1', 'a2']],
      ['crash-b', 'test', ['b1', 'b2']],
    ] as const) {
      await servers.call('POST', '/api/v1/environments', { name: environment, tier });
      for (const target of targets)
        await servers.call('POST', `/api/v1/environments/${environment}/targets`, {
          name: target,
          kind: 'host',
          facts: { os: 'linux' },
        });
    }
    await servers.call('POST', '/api/v1/models', { source, changelog: 'crash test model' });
    for (const [index, request] of schedule.requests.entries()) {
      await servers.call('POST', '/api/v1/components/crash-web/versions', {
        version: request.version,
        digest: `sha256:${index.toString(16).padStart(64, '0')}`,
        size: 1,
      });
    }

    // Requests arrive while the server is being killed and restarted.
    const acknowledged: string[] = [];
    const requesting = (async () => {
      for (const request of schedule.requests) {
        await sleep(request.gap);
        const deployment = await servers.retried<Deployment>('POST', '/api/v1/deployments', {
          component: 'crash-web',
          version: request.version,
          environment: 'crash-a',
          reason: `crash test ${request.version}`,
        });
        acknowledged.push(deployment.id);
      }
    })();
    const requestFailure = requesting.then(
      () => undefined,
      (error: unknown) => error,
    );
    for (const delay of schedule.killDelays) {
      await sleep(delay);
      await servers.kill();
      await servers.start();
    }
    const failed = await requestFailure;
    if (failed !== undefined) throw failed;
    const lastRestart = Date.now();

    // Every deployment ends: none stays stuck.
    let deployments: Deployment[] = [];
    for (;;) {
      deployments = (await servers.call<{ items: Deployment[] }>('GET', '/api/v1/deployments?limit=500'))
        .items;
      if (deployments.every((deployment) => isTerminal(deployment.state))) break;
      if (Date.now() - lastRestart > settleMilliseconds) break;
      await sleep(200);
    }

    const examined: Examined[] = [];
    for (const deployment of deployments) {
      const detail = await servers.call<{ deployment: Deployment; stepRuns: StepRun[] }>(
        'GET',
        `/api/v1/deployments/${deployment.id}`,
      );
      const events = (
        await servers.call<{ items: DeploymentEvent[] }>(
          'GET',
          `/api/v1/deployments/${deployment.id}/events?limit=5000`,
        )
      ).items;
      examined.push({ deployment: detail.deployment, stepRuns: detail.stepRuns, events });
    }
    const verification = await servers.call<{
      intact: boolean;
      deploymentsChecked: number;
      broken?: unknown;
    }>('GET', '/api/v1/records/verify');
    await servers.stop();
    const invocations = readInvocations(logFile);

    const problems: string[] = [];
    if (!verification.intact) problems.push(`records verify: ${JSON.stringify(verification.broken)}`);
    if (verification.deploymentsChecked !== deployments.length)
      problems.push(`verify checked ${verification.deploymentsChecked} of ${deployments.length} deployments`);

    // None is lost: every acknowledged request exists, and every first stage that succeeded
    // promoted its version to the second.
    const ids = new Set(deployments.map((deployment) => deployment.id));
    for (const id of acknowledged)
      if (!ids.has(id)) problems.push(`acknowledged deployment ${id} is missing`);
    const firsts = deployments.filter((deployment) => deployment.stage === 'first');
    if (firsts.length < deploymentCount)
      problems.push(`${firsts.length} first-stage deployments for ${deploymentCount} requests`);
    for (const first of firsts.filter((deployment) => deployment.state === 'succeeded')) {
      const promoted = deployments.filter(
        (deployment) => deployment.flowId === first.flowId && deployment.stage === 'second',
      );
      if (promoted.length !== 1)
        problems.push(
          `deployment ${first.id} succeeded in first but has ${promoted.length} second-stage deployments`,
        );
    }
    for (const item of examined) problems.push(...checkRecord(item, steps));
    problems.push(...checkSideEffects(examined, invocations, steps));
    problems.push(...checkInterruptionsFollowKills(examined, servers.killedAt));

    const outcomes: Record<string, number> = {};
    for (const deployment of deployments)
      outcomes[`${deployment.stage}:${deployment.state}`] =
        (outcomes[`${deployment.stage}:${deployment.state}`] ?? 0) + 1;
    const interruptions = examined
      .flatMap((item) => item.events)
      .filter((event) => event.type === 'step.interrupted');
    const repeated = interruptions.filter((event) => fieldOf(event, 'safeToRepeat') === true).length;
    const warnings = servers.stderr
      .join('')
      .split('\n')
      .filter((line) => line.includes('Warning'));
    console.log(
      `[crash ${dialect}] seed ${seed}: ${servers.killedAt.length} kills, ${deployments.length} deployments (${acknowledged.length} acknowledged requests), ` +
        `${interruptions.length} step runs interrupted (${repeated} safe to repeat, ${interruptions.length - repeated} not), ` +
        `${invocations.length} shell runs logged, outcomes ${JSON.stringify(outcomes)}, ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (warnings.length > 0 ? `\n[crash ${dialect}] server warnings:\n${warnings.join('\n')}` : ''),
    );

    expect(servers.killedAt.length).toBe(killCount);
    expect(problems, `seed ${seed}: replay with SLIPWAY_CRASH_SEED=${seed}`).toEqual([]);
    // The test must have hit something: runs were interrupted and deployments went both ways.
    expect(interruptions.length).toBeGreaterThan(0);
  }, 180_000);
});
