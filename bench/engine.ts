/*
 * Engine benchmark: pushes N no-op deployments through the real engine, the real commands and
 * the embedded SQLite store (real files in a temporary directory), and compares the cost of a
 * lifecycle transition with a bare SQLite INSERT + COMMIT measured in the same run, on the same
 * disk, with the same pragmas.
 *
 *   npm run bench:engine
 *
 * The no-op step. A `wait` step of `0s` would be the natural no-op, but the model rules refuse
 * zero durations ("a duration must be longer than zero"), and the shortest wait (1s) would add a
 * second per stage. So every stage has one automated step (`shell`, command `true`) and the
 * engine is given a dispatcher that reports each step succeeded at once without running
 * anything. Everything else (engine, commands, store, records) is the real code; the step takes
 * the path every automated step takes: its start is committed, the dispatcher is called, its
 * outcome is committed, and the deployment advances.
 *
 * Scenarios, each on a fresh store, once with synchronous=NORMAL and once with synchronous=FULL:
 *   A  one stage, one no-op step: N deployments are requested; timed from the first request
 *      until all N have succeeded.
 *   B  four stages dev → test → staging → live with automatic promotion and "succeeded in …"
 *      entry criteria: N flows are requested into dev; timed until all N live deployments have
 *      succeeded. The live stage stays on the live tier. The first run of a model version in a
 *      live-tier environment waits for a deployment manager (the supervised-first-run gate), so
 *      the warm-up flows before the timed run take that gate and the benchmark approves it as
 *      the deployment manager; timed flows then find the model version already run in live.
 *
 * What "per-transition cost" means here. SQLite has one connection, so the engine's store
 * transactions run one after another. The benchmark takes a timestamp when a transaction
 * issues BEGIN and another when its COMMIT returns (by wrapping Kysely's SqliteDriver
 * begin/commit, the one place every transaction passes), and counts the `transition` events
 * each engine transaction (DeploymentRepository.mutate) committed. A deployment's cost per
 * transition is the time of all its engine transactions (those that advance it and the one
 * that records its step's outcome, which commits no transition) divided by its transitions;
 * p50/p99 are over deployments, the mean is Σ time / Σ transitions. This is the time the
 * engine keeps the store's single writer busy per transition: the queries, the record hashing
 * and JSON inside the transactions, and the commits. It leaves out the reads the engine makes
 * before each transaction (deployment row, environment, targets, members), claiming work, and
 * requests; the "all-in" figure (wall-clock time of the run / transitions) includes all of them.
 *
 * The baseline: a bare better-sqlite3 prepared BEGIN; INSERT; COMMIT of one row into a table
 * shaped like deployment_events (nine columns, time-ordered ids, two 64-character hashes, a
 * JSON text), on a connection with the pragmas read back from a store (WAL, the same
 * synchronous setting, the same autocheckpoint), in the same temporary directory, timed per
 * row, half before and half after the scenarios of each mode. The targets are judged on the
 * p50 ratio (typical transition against typical commit); the mean ratio is printed beside it.
 *
 * Wall-clock figures depend on what else the machine runs: the load average before and after
 * each run is printed, and so is the CPU time of the main thread per deployment (Linux), which
 * bounds what one core can do however busy the machine is.
 *
 * Settings (environment variables):
 *   BENCH_DEPLOYMENTS       N, deployments (A) and flows (B) per scenario (default 2000)
 *   BENCH_WARMUP            untimed deployments / flows before each timed run (default 20)
 *   BENCH_REQUESTERS        concurrent callers of DeploymentCommands.request (default 4)
 *   BENCH_BASELINE_ROWS     bare INSERT + COMMIT samples per mode (default 2000)
 *   BENCH_SYNCHRONOUS       NORMAL, FULL or both (default both)
 *   BENCH_SCENARIOS         A, B or A,B (default A,B)
 *   BENCH_TIMEOUT_SECONDS   give up on a scenario after this long (default 300)
 * The engine runs with its defaults (32 deployments at a time, 500 ms poll), as `slipway up` does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDriver, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { type DeploymentEvent, modelFingerprint, type Principal, parseModel } from '../src/domain/index.js';
import { DeploymentCommands, Engine, type StepDispatcher, type StepOutcome } from '../src/engine/index.js';
import { type DeploymentTransaction, Store } from '../src/store/index.js';

type Synchronous = 'NORMAL' | 'FULL';

interface Settings {
  deployments: number;
  warmup: number;
  requesters: number;
  baselineRows: number;
  modes: Synchronous[];
  scenarios: string[];
  timeoutSeconds: number;
}

function integerFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be a whole number of at least ${minimum}, not "${raw}".`);
  }
  return value;
}

function readSettings(): Settings {
  const synchronous = (process.env.BENCH_SYNCHRONOUS ?? '').trim().toUpperCase();
  if (!['', 'BOTH', 'NORMAL', 'FULL'].includes(synchronous)) {
    throw new Error(`BENCH_SYNCHRONOUS must be NORMAL, FULL or both, not "${synchronous}".`);
  }
  const scenarioNames = (process.env.BENCH_SCENARIOS ?? '').trim().toUpperCase();
  if (!['', 'A', 'B', 'A,B', 'B,A'].includes(scenarioNames)) {
    throw new Error(`BENCH_SCENARIOS must be A, B or A,B, not "${scenarioNames}".`);
  }
  return {
    deployments: integerFromEnv('BENCH_DEPLOYMENTS', 2000, 1),
    warmup: integerFromEnv('BENCH_WARMUP', 20, 1),
    requesters: integerFromEnv('BENCH_REQUESTERS', 4, 1),
    baselineRows: integerFromEnv('BENCH_BASELINE_ROWS', 2000, 2),
    modes: synchronous === 'NORMAL' || synchronous === 'FULL' ? [synchronous] : ['NORMAL', 'FULL'],
    scenarios: scenarioNames === '' ? ['A', 'B'] : scenarioNames.split(','),
    timeoutSeconds: integerFromEnv('BENCH_TIMEOUT_SECONDS', 300, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

interface Summary {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((left, right) => left - right);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
  };
}

function micros(value: number): string {
  return `${value.toFixed(value < 100 ? 1 : 0)} µs`;
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

// ---------------------------------------------------------------------------------------------
// Timing the store's transactions

/** One engine transaction: how long it held the connection and how many transitions it committed. */
interface EngineTransactionSample {
  deploymentId: string;
  microseconds: number;
  transitions: number;
}

/**
 * Times every transaction on the embedded store's single connection, from BEGIN to the end of
 * COMMIT. Only one transaction can be open at a time (Kysely's SQLite driver serialises them on
 * its connection mutex), so one slot for "the open transaction" is enough.
 */
class TransactionProbe {
  recording = false;
  readonly engine: EngineTransactionSample[] = [];
  /** Other transactions (requests, version registration): microseconds each. */
  readonly other: number[] = [];
  private openedAt: bigint | undefined;
  private mutation: { deploymentId: string; transitions: number } | undefined;

  opened(): void {
    this.openedAt = process.hrtime.bigint();
    this.mutation = undefined;
  }

  /** Marks the open transaction as an engine transaction that committed these transitions. */
  engineTransaction(deploymentId: string, transitions: number): void {
    this.mutation = { deploymentId, transitions };
  }

  committed(): void {
    if (this.openedAt !== undefined && this.recording) {
      const microseconds = Number(process.hrtime.bigint() - this.openedAt) / 1000;
      if (this.mutation === undefined) this.other.push(microseconds);
      else this.engine.push({ ...this.mutation, microseconds });
    }
    this.openedAt = undefined;
    this.mutation = undefined;
  }

  rolledBack(): void {
    this.openedAt = undefined;
    this.mutation = undefined;
  }

  reset(): void {
    this.engine.length = 0;
    this.other.length = 0;
  }
}

const probe = new TransactionProbe();

/** Takes timestamps around BEGIN and COMMIT of every SQLite transaction; changes no behaviour. */
function instrumentSqliteDriver(): void {
  const prototype = SqliteDriver.prototype;
  const begin = prototype.beginTransaction;
  const commit = prototype.commitTransaction;
  const rollback = prototype.rollbackTransaction;
  prototype.beginTransaction = async function (this: SqliteDriver, connection) {
    probe.opened();
    return begin.call(this, connection);
  };
  prototype.commitTransaction = async function (this: SqliteDriver, connection) {
    await commit.call(this, connection);
    probe.committed();
  };
  prototype.rollbackTransaction = async function (this: SqliteDriver, connection) {
    probe.rolledBack();
    return rollback.call(this, connection);
  };
}

function transitionsIn(transaction: DeploymentTransaction): number {
  const own = transaction.events.filter((event) => event.type === 'transition').length;
  return own + transaction.spawned.reduce((sum, child) => sum + transitionsIn(child), 0);
}

/** Counts the transitions each DeploymentRepository.mutate commits (in the timed runs only the engine calls it). */
function instrumentMutate(store: Store): void {
  const deployments = store.deployments;
  const mutate = deployments.mutate.bind(deployments);
  deployments.mutate = <T>(
    deploymentId: string,
    work: (transaction: DeploymentTransaction) => Promise<T>,
    fence?: number,
  ): Promise<T> =>
    mutate(
      deploymentId,
      async (transaction) => {
        const value = await work(transaction);
        probe.engineTransaction(deploymentId, transitionsIn(transaction));
        return value;
      },
      fence,
    );
}

// ---------------------------------------------------------------------------------------------
// The baseline

/** The pragmas the store sets on its connection, read back from a store opened for the purpose. */
async function storePragmas(directory: string, synchronous: Synchronous): Promise<string[]> {
  const store = await Store.open({
    sqliteFile: join(directory, `pragmas-${synchronous}`, 'slipway.db'),
    synchronous,
  });
  try {
    const pragmas: string[] = [];
    for (const name of [
      'journal_mode',
      'synchronous',
      'wal_autocheckpoint',
      'foreign_keys',
      'busy_timeout',
    ]) {
      const result = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(store.db);
      const value = Object.values(result.rows[0] ?? {})[0];
      pragmas.push(`${name} = ${String(value)}`);
    }
    return pragmas;
  } finally {
    await store.close();
  }
}

/**
 * Bare better-sqlite3: a prepared BEGIN; INSERT; COMMIT of one row, timed per row, in
 * microseconds, on a connection with the store's pragmas. (The store also checkpoints from a
 * worker thread; the bare connection checkpoints inline, which shows only in its p99 and mean.)
 */
function bareCommits(directory: string, pragmas: readonly string[], rows: number): number[] {
  const database = new SqliteDatabase(join(directory, `bare-${randomUUID()}.db`));
  try {
    for (const pragma of pragmas) database.pragma(pragma);
    database.exec(`
      create table if not exists bare_events (
        id text primary key,
        deployment_id text not null,
        sequence integer not null,
        at text not null,
        type text not null,
        actor_id text,
        data text not null,
        previous_hash text not null,
        hash text not null,
        unique (deployment_id, sequence)
      )`);
    const begin = database.prepare('begin');
    const insert = database.prepare(
      `insert into bare_events (id, deployment_id, sequence, at, type, actor_id, data, previous_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const commit = database.prepare('commit');
    const data = JSON.stringify({
      from: 'scheduled',
      to: 'verifying-components',
      reason: 'Verifying the versions against the catalog.',
    });
    const warmup = Math.min(100, rows);
    const samples: number[] = [];
    let previousHash = '0'.repeat(64);
    let deploymentId = uuidv7();
    for (let index = 0; index < warmup + rows; index += 1) {
      if (index % 8 === 0) deploymentId = uuidv7();
      const hash = createHash('sha256').update(`${previousHash}${index}`).digest('hex');
      const values = [
        uuidv7(),
        deploymentId,
        index,
        new Date().toISOString(),
        'transition',
        null,
        data,
        previousHash,
        hash,
      ];
      const started = process.hrtime.bigint();
      begin.run();
      insert.run(values);
      commit.run();
      const microseconds = Number(process.hrtime.bigint() - started) / 1000;
      if (index >= warmup) samples.push(microseconds);
      previousHash = hash;
    }
    return samples;
  } finally {
    database.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The scenarios

/** Reports every automated step succeeded at once, without running anything. */
class NoOpDispatcher implements StepDispatcher {
  readonly types = ['shell'] as const;

  async execute(): Promise<StepOutcome> {
    return { succeeded: true, exitCode: 0, message: 'No-op.', durationMilliseconds: 0 };
  }
}

const oneStageModel = `
apiVersion: slipway/v1
kind: DeploymentModel
name: bench-one-stage
description: One stage with one no-op step
appliesTo: { componentKinds: [software] }
stages:
  - name: only
    environment: only
    steps:
      - { name: no-op, type: shell, command: 'true' }
`;

const fourStageModel = `
apiVersion: slipway/v1
kind: DeploymentModel
name: bench-four-stages
description: dev, test, staging and live with automatic promotion, one no-op step each
appliesTo: { componentKinds: [software] }
stages:
  - name: dev
    environment: dev
    promotion: automatic
    steps: [{ name: no-op, type: shell, command: 'true' }]
  - name: test
    environment: test
    entryCriteria: [succeeded in dev]
    promotion: automatic
    steps: [{ name: no-op, type: shell, command: 'true' }]
  - name: staging
    environment: staging
    entryCriteria: [succeeded in test]
    promotion: automatic
    steps: [{ name: no-op, type: shell, command: 'true' }]
  - name: live
    environment: live
    entryCriteria: [succeeded in staging]
    steps: [{ name: no-op, type: shell, command: 'true' }]
`;

interface Scenario {
  key: string;
  name: string;
  model: string;
  environments: { name: string; tier: 'development' | 'test' | 'staging' | 'live' }[];
  /** The environment requests go to. */
  entry: string;
  stages: number;
}

const scenarios: Scenario[] = [
  {
    key: 'A',
    name: 'A: one stage',
    model: oneStageModel,
    environments: [{ name: 'only', tier: 'development' }],
    entry: 'only',
    stages: 1,
  },
  {
    key: 'B',
    name: 'B: four stages',
    model: fourStageModel,
    environments: [
      { name: 'dev', tier: 'development' },
      { name: 'test', tier: 'test' },
      { name: 'staging', tier: 'staging' },
      { name: 'live', tier: 'live' },
    ],
    entry: 'dev',
    stages: 4,
  },
];

interface ScenarioResult {
  scenario: Scenario;
  synchronous: Synchronous;
  flows: number;
  deployments: number;
  seconds: number;
  /** Transition events in the records of the timed deployments. */
  transitions: number;
  /** Transitions the probe saw the engine commit (a cross-check of the count above). */
  probedTransitions: number;
  engineTransactions: number;
  /** Per transition, from its engine transaction (µs). */
  perTransition: Summary;
  /** Per engine transaction (µs). */
  perTransaction: Summary;
  /** Per request transaction (µs). */
  perRequest: Summary;
  /** Wall-clock time of the run / transitions (µs). */
  allInPerTransition: number;
  /** CPU time (user + system) of this process during the run, per deployment (µs). */
  cpuPerDeployment: number;
  /** CPU time of the main thread (the engine, the commands and SQLite), per deployment (µs); Linux only. */
  mainThreadCpuPerDeployment: number | undefined;
  /** One-minute load average before and after the run. */
  load: [number, number];
  /** Supervised-first-run gates the benchmark approved during warm-up. */
  gatesApproved: number;
}

/** Waits for `expected` deployments to succeed, failing on any other terminal state or on a timeout. */
class Completion {
  private succeededCount = 0;
  private expected = Number.POSITIVE_INFINITY;
  private resolve: (() => void) | undefined;
  private reject: ((error: Error) => void) | undefined;
  finishedAt = 0;

  observe(events: readonly DeploymentEvent[]): void {
    for (const event of events) {
      if (event.type !== 'transition') continue;
      const to = (event.data as { to?: unknown }).to;
      if (to === 'succeeded') {
        this.succeededCount += 1;
        if (this.succeededCount >= this.expected) {
          this.finishedAt = performance.now();
          this.resolve?.();
        }
      } else if (to === 'failed' || to === 'rejected' || to === 'cancelled' || to === 'rolled-back') {
        const reason = (event.data as { reason?: unknown }).reason;
        this.reject?.(new Error(`Deployment ${event.deploymentId} ended ${to}: ${String(reason)}`));
      }
    }
  }

  /** Resolves when `expected` deployments have succeeded since this store was opened. */
  async wait(expected: number, timeoutSeconds: number): Promise<void> {
    this.expected = expected;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
        if (this.succeededCount >= this.expected) resolve();
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Only ${this.succeededCount} of ${this.expected} deployments succeeded within ${timeoutSeconds} s.`,
              ),
            ),
          timeoutSeconds * 1000,
        );
      });
    } finally {
      clearTimeout(timer);
      this.resolve = undefined;
      this.reject = undefined;
    }
  }
}

/**
 * CPU time of the main thread so far, from /proc (Linux; undefined elsewhere). The store's
 * checkpointing runs in a worker thread, so the process's CPU time overstates what the
 * single-threaded engine spends; this is the figure that bounds its throughput.
 */
function mainThreadCpuMicroseconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / clockTicksPerSecond : undefined;
  } catch {
    return undefined;
  }
}

/** Linux reports thread CPU time in clock ticks of USER_HZ, which is 100 on every common platform. */
const clockTicksPerSecond = 100;

async function countTransitions(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('deployment_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('type', '=', 'transition')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Requests deployments of versions `from..to-1` with a few concurrent callers. */
async function requestAll(
  commands: DeploymentCommands,
  owner: Principal,
  scenario: Scenario,
  versions: readonly string[],
  requesters: number,
): Promise<void> {
  let next = 0;
  const caller = async (): Promise<void> => {
    for (let index = next++; index < versions.length; index = next++) {
      await commands.request(
        {
          versions: [{ component: 'bench-app', version: versions[index] as string }],
          environment: scenario.entry,
          reason: 'benchmark',
        },
        owner,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(requesters, versions.length) }, caller));
}

async function runScenario(
  directory: string,
  scenario: Scenario,
  synchronous: Synchronous,
  settings: Settings,
): Promise<ScenarioResult> {
  const store = await Store.open({
    sqliteFile: join(directory, `${scenario.stages}-stage-${synchronous.toLowerCase()}`, 'slipway.db'),
    synchronous,
  });
  instrumentMutate(store);
  const engine = new Engine(store, new NoOpDispatcher());
  const commands = new DeploymentCommands(store, engine.contextLoader);
  const completion = new Completion();
  let gatesApproved = 0;
  let manager: Principal | undefined;
  const approvals: Promise<void>[] = [];
  const unsubscribe = store.bus.onEvents((events) => {
    completion.observe(events);
    for (const event of events) {
      const data = event.data as { kind?: unknown; gateId?: unknown };
      if (event.type === 'gate.opened' && data.kind === 'supervised-first-run' && manager !== undefined) {
        const approver = manager;
        approvals.push(
          commands
            .decideGate(String(data.gateId), true, 'Benchmark warm-up: supervised first live run.', approver)
            .then(() => {
              gatesApproved += 1;
            }),
        );
      }
    }
  });
  try {
    manager = await store.principals.create(
      { name: 'bench-manager', kind: 'person', roles: ['deployment-manager'] },
      undefined,
    );
    const owner = await store.principals.create(
      { name: 'bench-owner', kind: 'person', roles: ['service-owner'] },
      undefined,
    );
    await store.catalog.createService({ name: 'bench' }, manager.id);
    await store.catalog.createComponent(
      { service: 'bench', name: 'bench-app', kind: 'software' },
      manager.id,
    );
    for (const environment of scenario.environments) {
      await store.environments.create(environment, manager.id);
      await store.environments.createTarget(
        environment.name,
        { name: `${environment.name}-1`, kind: 'host', facts: { os: 'linux' } },
        manager.id,
      );
    }
    const model = parseModel(scenario.model);
    await store.models.apply(
      {
        name: model.name,
        source: scenario.model,
        definition: model,
        fingerprint: modelFingerprint(model),
        changelog: 'benchmark model',
      },
      manager.id,
    );
    const versions: string[] = [];
    for (let index = 0; index < settings.warmup + settings.deployments; index += 1) {
      const version = `1.0.${index}`;
      const digest = `sha256:${createHash('sha256').update(version).digest('hex')}`;
      await store.catalog.registerVersion('bench-app', { version, digest, size: 1 }, owner.id);
      versions.push(version);
    }
    await engine.start();

    // Warm-up: untimed; also takes the live stage's supervised first run.
    await requestAll(commands, owner, scenario, versions.slice(0, settings.warmup), settings.requesters);
    await completion.wait(settings.warmup * scenario.stages, settings.timeoutSeconds);
    await Promise.all(approvals);
    manager = undefined; // A gate in the timed run would be a surprise: let it time out instead.

    const transitionsBefore = await countTransitions(store);
    probe.reset();
    probe.recording = true;
    const loadBefore = loadavg()[0] ?? 0;
    const cpuBefore = process.cpuUsage();
    const mainThreadBefore = mainThreadCpuMicroseconds();
    const started = performance.now();
    const done = completion.wait(
      (settings.warmup + settings.deployments) * scenario.stages,
      settings.timeoutSeconds,
    );
    done.catch(() => undefined); // Awaited below; a failure while requests are still going is reported there.
    await requestAll(commands, owner, scenario, versions.slice(settings.warmup), settings.requesters);
    await done;
    const cpu = process.cpuUsage(cpuBefore);
    const mainThreadAfter = mainThreadCpuMicroseconds();
    probe.recording = false;
    const seconds = (completion.finishedAt - started) / 1000;
    const transitions = (await countTransitions(store)) - transitionsBefore;

    const byDeployment = new Map<string, { microseconds: number; transitions: number }>();
    for (const sample of probe.engine) {
      const total = byDeployment.get(sample.deploymentId) ?? { microseconds: 0, transitions: 0 };
      total.microseconds += sample.microseconds;
      total.transitions += sample.transitions;
      byDeployment.set(sample.deploymentId, total);
    }
    const perTransition = [...byDeployment.values()]
      .filter((total) => total.transitions > 0)
      .map((total) => total.microseconds / total.transitions);
    const engineTransitions = probe.engine.reduce((sum, sample) => sum + sample.transitions, 0);
    const engineMicroseconds = probe.engine.reduce((sum, sample) => sum + sample.microseconds, 0);
    const perTransitionSummary = summarize(perTransition);
    return {
      scenario,
      synchronous,
      flows: settings.deployments,
      deployments: settings.deployments * scenario.stages,
      seconds,
      transitions,
      probedTransitions: engineTransitions,
      engineTransactions: probe.engine.length,
      // The mean per transition is Σ transaction time / Σ transitions.
      perTransition: { ...perTransitionSummary, mean: engineMicroseconds / engineTransitions },
      perTransaction: summarize(probe.engine.map((sample) => sample.microseconds)),
      perRequest: summarize(probe.other),
      allInPerTransition: (seconds * 1_000_000) / transitions,
      cpuPerDeployment: (cpu.user + cpu.system) / (settings.deployments * scenario.stages),
      mainThreadCpuPerDeployment:
        mainThreadBefore === undefined || mainThreadAfter === undefined
          ? undefined
          : (mainThreadAfter - mainThreadBefore) / (settings.deployments * scenario.stages),
      load: [loadBefore, loadavg()[0] ?? 0],
      gatesApproved,
    };
  } finally {
    probe.recording = false;
    unsubscribe();
    await engine.stop();
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function printScenario(result: ScenarioResult, bare: Summary): void {
  const { scenario } = result;
  const lines = [
    `  ${scenario.name} (synchronous=${result.synchronous})`,
    scenario.stages === 1
      ? `    ${result.deployments} deployments in ${result.seconds.toFixed(2)} s: ${(result.deployments / result.seconds).toFixed(0)} deployments/s`
      : `    ${result.flows} flows (${result.deployments} deployments) in ${result.seconds.toFixed(2)} s: ${(result.flows / result.seconds).toFixed(1)} flows/s, ${(result.deployments / result.seconds).toFixed(0)} deployments/s`,
    `    transitions in the records: ${result.transitions} (${(result.transitions / result.deployments).toFixed(1)} per deployment); committed by ${result.engineTransactions} engine transactions (${result.probedTransitions} transitions seen by the probe)`,
    `    per transition, a deployment's engine transactions BEGIN→COMMIT / its transitions: p50 ${micros(result.perTransition.p50)}, p99 ${micros(result.perTransition.p99)}, mean ${micros(result.perTransition.mean)}`,
    `    per engine transaction: p50 ${micros(result.perTransaction.p50)}, p99 ${micros(result.perTransaction.p99)}, mean ${micros(result.perTransaction.mean)}; per request transaction: p50 ${micros(result.perRequest.p50)}, mean ${micros(result.perRequest.mean)}`,
    `    all-in (run time / transitions, includes requests, reads, claims): ${micros(result.allInPerTransition)}`,
    `    CPU time per deployment: ${cpuFigures(result)}; load average ${result.load[0].toFixed(1)} → ${result.load[1].toFixed(1)}`,
    `    ratio to the bare commit: p50 ${ratio(result.perTransition.p50 / bare.p50)}, p99 ${ratio(result.perTransition.p99 / bare.p99)}, mean ${ratio(result.perTransition.mean / bare.mean)}; all-in ${ratio(result.allInPerTransition / bare.mean)}`,
  ];
  if (result.gatesApproved > 0)
    lines.push(
      `    (warm-up: approved ${result.gatesApproved} supervised-first-run gate(s) of the live stage as the deployment manager)`,
    );
  console.log(lines.join('\n'));
}

function cpuFigures(result: ScenarioResult): string {
  const process = `process ${(result.cpuPerDeployment / 1000).toFixed(2)} ms`;
  const main = result.mainThreadCpuPerDeployment;
  if (main === undefined) return process;
  return `main thread ${(main / 1000).toFixed(2)} ms (at most ${(1_000_000 / main).toFixed(0)} deployments per second of one core), ${process}`;
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}

function printTable(results: ScenarioResult[], bare: Map<Synchronous, Summary>): void {
  const header = [
    'synchronous',
    'scenario',
    'deploy/s',
    'flows/s',
    'tr p50',
    'tr p99',
    'tr mean',
    'bare p50',
    'bare p99',
    'bare mean',
    'ratio p50',
    'ratio mean',
    'all-in',
  ];
  const rows = results.map((result) => {
    const baseline = bare.get(result.synchronous) as Summary;
    return [
      result.synchronous,
      result.scenario.name,
      (result.deployments / result.seconds).toFixed(0),
      result.scenario.stages === 1 ? '-' : (result.flows / result.seconds).toFixed(1),
      micros(result.perTransition.p50),
      micros(result.perTransition.p99),
      micros(result.perTransition.mean),
      micros(baseline.p50),
      micros(baseline.p99),
      micros(baseline.mean),
      ratio(result.perTransition.p50 / baseline.p50),
      ratio(result.perTransition.mean / baseline.mean),
      micros(result.allInPerTransition),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column] as number) : pad(cell, widths[column] as number),
      )
      .join('  ');
  console.log(format(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(format(row));
}

async function main(): Promise<void> {
  const settings = readSettings();
  instrumentSqliteDriver();
  const directory = mkdtempSync(join(tmpdir(), 'slipway-bench-engine-'));
  const results: ScenarioResult[] = [];
  const bare = new Map<Synchronous, Summary>();
  console.log(
    `Slipway engine benchmark: N=${settings.deployments} per scenario (+${settings.warmup} warm-up), ${settings.requesters} concurrent requesters, engine defaults; ${cpus().length} CPUs, Node ${process.version}; store files in ${directory}`,
  );
  try {
    for (const synchronous of settings.modes) {
      console.log(`\nsynchronous=${synchronous}`);
      const half = Math.ceil(settings.baselineRows / 2);
      const pragmas = await storePragmas(directory, synchronous);
      const samples = bareCommits(directory, pragmas, half);
      const modeResults: ScenarioResult[] = [];
      for (const scenario of scenarios.filter((candidate) => settings.scenarios.includes(candidate.key))) {
        modeResults.push(await runScenario(directory, scenario, synchronous, settings));
      }
      samples.push(...bareCommits(directory, pragmas, settings.baselineRows - half));
      const baseline = summarize(samples);
      bare.set(synchronous, baseline);
      console.log(
        `  baseline: bare better-sqlite3 prepared BEGIN; INSERT; COMMIT of one row (${baseline.count} rows, half before and half after the scenarios; ${pragmas.join(', ')}): p50 ${micros(baseline.p50)}, p99 ${micros(baseline.p99)}, mean ${micros(baseline.mean)}`,
      );
      for (const result of modeResults) printScenario(result, baseline);
      results.push(...modeResults);
    }
    console.log(
      "\nSummary (tr = per-transition cost: a deployment's engine transactions BEGIN→COMMIT divided by its transitions; ratio = tr / bare INSERT+COMMIT; all-in = run time / transitions)\n",
    );
    printTable(results, bare);
    console.log(
      '\nTargets (≥ 300 one-stage deployments/s; per-transition cost ≤ 5× the bare commit, at p50):',
    );
    for (const result of results) {
      const baseline = bare.get(result.synchronous) as Summary;
      const rate = result.deployments / result.seconds;
      const typical = result.perTransition.p50 / baseline.p50;
      const mean = result.perTransition.mean / baseline.mean;
      const throughput =
        result.scenario.stages === 1
          ? `${rate.toFixed(0)} deployments/s (${rate >= 300 ? 'met' : 'missed'}); `
          : '';
      console.log(
        `  synchronous=${result.synchronous}, ${result.scenario.name}: ${throughput}per transition ${ratio(typical)} the bare commit at p50 (${typical <= 5 ? 'met' : 'missed'}), ${ratio(mean)} in the mean`,
      );
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
