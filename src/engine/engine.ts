import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderTemplate, type Step, StepRunState, type TemplateContext } from '../domain/index.js';
import { type ClaimedWork, StaleLeaseError, type Store } from '../store/index.js';
import { advanceDeployment } from './advance.js';
import { ContextLoader, type DeploymentContext } from './context.js';
import type { StepDispatcher, StepOutputLine } from './dispatcher.js';
import type { PendingRun } from './phases.js';

/** Settings of the engine; every one has a default. */
export interface EngineOptions {
  /** Names this node in leases (default: a random id). */
  nodeId?: string;
  /** Deployments advanced at the same time (default 32). */
  concurrency?: number;
  /** How often to look for due work when nothing wakes the engine (default 500 ms). */
  pollMilliseconds?: number;
  /** How long a claim lasts without renewal (default 30 s). */
  leaseMilliseconds?: number;
  /** Log lines are stored in batches at most this far apart (default 250 ms). */
  logFlushMilliseconds?: number;
}

/** Fills placeholders in every string of a step definition. */
function renderDeep(value: unknown, render: (text: string) => string): unknown {
  if (typeof value === 'string') return render(value);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, render));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderDeep(item, render)]));
  }
  return value;
}

/** Buffers step output and writes it to the record in batches. */
class LogBuffer {
  private lines: { stepRunId: string; step: string; target?: string; stream: string; text: string }[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly write: (lines: LogBuffer['lines']) => Promise<void>) {}

  add(run: PendingRun, output: StepOutputLine[]): void {
    for (const line of output) {
      this.lines.push({
        stepRunId: run.stepRunId,
        step: run.step.name,
        ...(run.target !== undefined && { target: run.target.name }),
        stream: line.stream,
        text: line.text,
      });
    }
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.lines.length === 0) return;
      const batch = this.lines;
      this.lines = [];
      await this.write(batch);
    });
    return this.flushing;
  }
}

/**
 * The only code that advances deployments. It claims due work from the store, advances
 * each deployment as far as it can inside a transaction (every transition committed before
 * the side effect it starts), hands automated steps to the dispatcher, records their
 * outcome, and resumes from the store after a crash.
 */
export class Engine {
  readonly nodeId: string;
  private readonly concurrency: number;
  private readonly pollMilliseconds: number;
  private readonly leaseMilliseconds: number;
  private readonly logFlushMilliseconds: number;
  private readonly contexts: ContextLoader;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** A wake-up arrived while the loop was not idle (claiming): look again before idling. */
  private wakePending = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly dispatcher: StepDispatcher,
    options: EngineOptions = {},
  ) {
    this.nodeId = options.nodeId ?? `engine-${randomUUID()}`;
    this.concurrency = options.concurrency ?? 32;
    this.pollMilliseconds = options.pollMilliseconds ?? 500;
    this.leaseMilliseconds = options.leaseMilliseconds ?? 30_000;
    this.logFlushMilliseconds = options.logFlushMilliseconds ?? 250;
    this.contexts = new ContextLoader(store);
    // Every running step listens for the stop; many steps run at once, which is no leak.
    setMaxListeners(0, this.abort.signal);
  }

  /** The loader of model views, shared with commands that need them. */
  get contextLoader(): ContextLoader {
    return this.contexts;
  }

  /**
   * Starts claiming work. On the embedded store this process is the only node, so leases
   * left by a previous (crashed) process are released at once instead of waiting them out.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.store.dialect === 'sqlite') await this.store.work.releaseAll();
    this.unsubscribe = this.store.bus.onWake(() => this.wake());
    this.loop = this.run();
  }

  /** Stops claiming work and waits for deployments being advanced (running steps are stopped). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.abort.abort();
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Looks for due work now instead of at the next poll. */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    if (wakeUp === undefined) this.wakePending = true;
    else wakeUp();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inFlight.size;
      let claimed: ClaimedWork[] = [];
      if (free > 0) {
        // Work that becomes due from here on may be missed by this claim; its wake-up is kept.
        this.wakePending = false;
        try {
          claimed = await this.store.work.claim(this.nodeId, free, this.leaseMilliseconds);
        } catch (error) {
          process.emitWarning(`Slipway engine could not claim work: ${String(error)}`);
        }
      }
      for (const work of claimed) {
        const tick = this.tick(work).catch((error: unknown) => {
          if (!(error instanceof StaleLeaseError))
            process.emitWarning(`Slipway engine failed on deployment ${work.deploymentId}: ${String(error)}`);
        });
        const tracked = tick.finally(() => {
          this.inFlight.delete(tracked);
          this.wake();
        });
        this.inFlight.add(tracked);
      }
      // Wait for the next wake-up (new work, or a tick ending) or the poll. A wake-up that came
      // while claiming is kept, so nothing is missed; claiming again at once would mostly find nothing.
      await this.idle();
    }
  }

  private async idle(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    const woken = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    await Promise.race([woken, sleep(this.pollMilliseconds)]);
    this.wakeUp = undefined;
  }

  /** Advances one claimed deployment until it waits, parks, or finishes. */
  private async tick(work: ClaimedWork): Promise<void> {
    // The context is keyed by columns that never change after creation (model version,
    // stage, environment), so the row is read once; the context itself is reloaded each round.
    const row = await this.store.deployments.row(work.deploymentId);
    if (row === undefined) return;
    for (let rounds = 0; rounds < 100 && this.running; rounds += 1) {
      const context = await this.contexts.load(row);
      const outcome = await this.store.deployments.mutate(
        work.deploymentId,
        async (transaction) => {
          const now = this.store.now();
          const result = await advanceDeployment(this.store.scope(transaction.db), transaction, context, now);
          if (result.kind === 'wait') await transaction.schedule(result.until);
          else if (result.kind === 'park') {
            if (result.until === undefined) await transaction.unschedule();
            else await transaction.schedule(result.until);
          } else if (result.kind === 'finished') await transaction.unschedule();
          return result;
        },
        work.fence,
      );
      if (outcome.kind !== 'run') return;
      await this.execute(work, outcome.runs, context);
    }
  }

  /** Runs automated steps through the dispatcher while keeping the lease, then records each outcome. */
  private async execute(work: ClaimedWork, runs: PendingRun[], context: DeploymentContext): Promise<void> {
    const logs = new LogBuffer(async (lines) => {
      await this.store.deployments.mutate(
        work.deploymentId,
        async (transaction) => {
          transaction.append('log', { lines });
        },
        work.fence,
      );
    });
    const flusher = setInterval(() => void logs.flush().catch(() => undefined), this.logFlushMilliseconds);
    const renewer = setInterval(
      () => void this.store.work.renew(this.nodeId, work, this.leaseMilliseconds).catch(() => false),
      Math.max(1000, Math.floor(this.leaseMilliseconds / 3)),
    );
    const first = context.members[0];
    try {
      await Promise.all(
        runs.map(async (run) => {
          const templateContext: TemplateContext = {
            ...(first !== undefined && { component: first.component, version: first.version }),
            environment: context.environment.name,
            tier: context.environment.tier,
            stage: context.stage.name,
            model: context.model.name,
            deployment: { id: work.deploymentId },
            ...(run.target !== undefined && {
              target: { name: run.target.name, labels: run.target.labels, facts: run.target.facts },
            }),
          };
          const rendered = renderDeep(
            run.step.step,
            (text) => renderTemplate(text, templateContext).text,
          ) as Step;
          const outcome = await this.dispatcher.execute(
            {
              deploymentId: work.deploymentId,
              stepRunId: run.stepRunId,
              step: { ...run.step, step: rendered },
              ...(run.target !== undefined && { target: run.target }),
              context: templateContext,
              signal: this.abort.signal,
            },
            (lines) => logs.add(run, lines),
          );
          await logs.flush();
          if (this.abort.signal.aborted) return; // Stopping: the next node records the run as interrupted.
          await this.store.deployments.mutate(
            work.deploymentId,
            async (transaction) => {
              await transaction.finishStepRun(
                run.stepRunId,
                outcome.succeeded ? StepRunState.succeeded : StepRunState.failed,
                {
                  ...(outcome.exitCode !== undefined && { exitCode: outcome.exitCode }),
                  message: outcome.message,
                },
              );
              transaction.append('step.finished', {
                stepRunId: run.stepRunId,
                step: run.step.name,
                attempt: run.attempt,
                ...(run.target !== undefined && { target: run.target.name }),
                succeeded: outcome.succeeded,
                ...(outcome.exitCode !== undefined && { exitCode: outcome.exitCode }),
                durationMilliseconds: outcome.durationMilliseconds,
                message: outcome.message,
              });
            },
            work.fence,
          );
        }),
      );
    } finally {
      clearInterval(flusher);
      clearInterval(renewer);
    }
  }
}
