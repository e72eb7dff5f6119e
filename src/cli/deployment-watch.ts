import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment, DeploymentEvent, DeploymentState } from '../domain/index.js';
import { ApiError, pathOf, ServerUnreachableError, type SlipwayClient } from './client.js';
import {
  describeEvent,
  eventText,
  formatElapsed,
  formatVersions,
  indentLine,
  promotedDeployments,
} from './deployment-events.js';
import { readServerSentEvents } from './event-stream.js';

/** How a watch prints. */
export interface WatchOptions {
  /** After a deployment succeeds, also follow the deployments its automatic promotion created. */
  follow: boolean;
  /** Print each record event as one line of JSON instead of text. */
  json: boolean;
  /** Where to print; a terminal gets a live progress block unless `json` is set. */
  stdout: NodeJS.WriteStream;
}

/** How one watched deployment ended. */
export interface WatchOutcome {
  deploymentId: string;
  environment: string;
  state: DeploymentState;
  reason: string | undefined;
}

/** Timings of a watch; tests and callers rarely need other values. */
interface WatchTimings {
  /** A stream silent for this long is taken for dead and reopened (the server sends keep-alives every 15 s). */
  silenceMilliseconds: number;
  /** How long to keep trying to reconnect before giving up. */
  giveUpMilliseconds: number;
  reconnectMilliseconds: number;
}

const defaultTimings: WatchTimings = {
  silenceMilliseconds: 45_000,
  giveUpMilliseconds: 60_000,
  reconnectMilliseconds: 1_000,
};

/** The state a deployment ended in, from the stream's closing `end` event. */
interface EndOfStream {
  state: DeploymentState;
  reason?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseRecordEvent(text: string): DeploymentEvent | undefined {
  const value = parseJson(text);
  if (!isRecord(value) || typeof value.sequence !== 'number' || typeof value.type !== 'string')
    return undefined;
  return value as unknown as DeploymentEvent;
}

function parseEnd(text: string): EndOfStream {
  const value = parseJson(text);
  const state = isRecord(value) && typeof value.state === 'string' ? value.state : 'failed';
  const reason = isRecord(value) && typeof value.reason === 'string' ? value.reason : undefined;
  return { state: state as DeploymentState, ...(reason !== undefined && { reason }) };
}

/** The time of day of an ISO timestamp, as the server recorded it (UTC). */
function timeOfDay(iso: string): string {
  return iso.slice(11, 19);
}

/** What the live block knows about the deployment being watched. */
class Progress {
  state: string;
  stateSince: number;
  waitingUntil: string | undefined;
  readonly running = new Map<string, { label: string; since: number }>();
  readonly waitingFor = new Map<string, string>();

  constructor(readonly deployment: Deployment) {
    this.state = deployment.state;
    this.stateSince = Date.parse(deployment.updatedAt);
  }

  update(event: DeploymentEvent): void {
    const at = Date.parse(event.at);
    const [headline] = describeEvent(event);
    switch (event.type) {
      case 'transition':
        this.state = eventText(event, 'to') ?? this.state;
        this.stateSince = at;
        this.waitingUntil = undefined;
        break;
      case 'step.started': {
        const id = eventText(event, 'stepRunId');
        if (id !== undefined) this.running.set(id, { label: headline?.text ?? 'step', since: at });
        break;
      }
      case 'step.finished':
      case 'step.interrupted': {
        const id = eventText(event, 'stepRunId');
        if (id !== undefined) this.running.delete(id);
        break;
      }
      case 'gate.opened':
      case 'task.opened': {
        const id = eventText(event, event.type === 'gate.opened' ? 'gateId' : 'taskId');
        const command =
          event.type === 'gate.opened' ? `slipway gate approve ${id}` : `slipway task complete ${id}`;
        if (id !== undefined) this.waitingFor.set(id, `${headline?.text ?? event.type} → ${command}`);
        break;
      }
      case 'gate.decided':
        if (eventText(event, 'state') !== 'open') this.waitingFor.delete(eventText(event, 'gateId') ?? '');
        break;
      case 'task.completed':
      case 'task.failed':
        this.waitingFor.delete(eventText(event, 'taskId') ?? '');
        break;
      case 'waiting':
        this.waitingUntil = eventText(event, 'until');
        break;
    }
  }

  lines(now: number, spinner: string): string[] {
    const deployment = this.deployment;
    const lines = [
      `${spinner} ${formatVersions(deployment)} → ${deployment.environment}: ${this.state} for ${formatElapsed(now - this.stateSince)}`,
    ];
    for (const run of this.running.values()) {
      lines.push(`    ${run.label} · running ${formatElapsed(now - run.since)}`);
    }
    if (this.waitingUntil !== undefined) {
      lines.push(
        `    ⏳ waiting ${formatElapsed(Date.parse(this.waitingUntil) - now)} more (entry criteria)`,
      );
    }
    for (const waiting of this.waitingFor.values()) lines.push(`    ${waiting.trimStart()}`);
    return lines;
  }
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Prints a watch. Plain lines always; on a terminal, also a compact progress block under
 * them that is redrawn in place (cursor up, clear to the end of the screen).
 */
class WatchPrinter {
  private progress: Progress | undefined;
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stdout: NodeJS.WriteStream,
    private readonly json: boolean,
    private readonly live: boolean,
  ) {}

  begin(deployment: Deployment, following: boolean): void {
    this.progress = new Progress(deployment);
    if (this.json) return;
    this.print([
      ...(following ? [''] : []),
      `Deployment ${deployment.id}: ${deployment.kind} of ${formatVersions(deployment)} into ${deployment.environment}` +
        ` (stage ${deployment.stage}, model ${deployment.model} version ${deployment.modelVersion}` +
        `${deployment.supervised ? ', supervised first run' : ''})`,
    ]);
    if (this.live && this.timer === undefined) {
      this.timer = setInterval(() => this.redraw(), 200);
      this.timer.unref();
    }
  }

  event(event: DeploymentEvent): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    this.progress?.update(event);
    const time = timeOfDay(event.at);
    const blank = ' '.repeat(time.length);
    this.print(
      describeEvent(event, this.progress?.deployment).map(
        (line, index) => `${index === 0 ? time : blank}  ${indentLine(line)}`,
      ),
    );
  }

  end(deployment: Deployment, end: EndOfStream): void {
    if (this.json) {
      this.stdout.write(
        `${JSON.stringify({ type: 'end', deploymentId: deployment.id, state: end.state, reason: end.reason })}\n`,
      );
      return;
    }
    // The deployment has ended: nothing is in progress until the next one begins.
    this.progress = undefined;
    this.print([
      `Deployment ${deployment.id} into ${deployment.environment} ${end.state}${end.reason === undefined ? '.' : `: ${end.reason}`}`,
    ]);
  }

  notice(text: string): void {
    if (!this.json) this.print([text]);
  }

  summary(outcomes: readonly WatchOutcome[]): void {
    this.stop();
    if (this.json || outcomes.length < 2) return;
    this.print([
      '',
      `Flow: ${outcomes.map((outcome) => `${outcome.environment} ${outcome.state}`).join(', ')}.`,
    ]);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.progress = undefined;
  }

  private print(lines: readonly string[]): void {
    this.clear();
    this.stdout.write(lines.map((line) => `${line}\n`).join(''));
    this.draw();
  }

  private clear(): void {
    if (this.drawn > 0) this.stdout.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.live || this.timer === undefined || this.progress === undefined) return;
    // A pseudo-terminal may report no width at all (0); assume the classic 80 columns then.
    const columns = this.stdout.columns > 0 ? this.stdout.columns : 80;
    const width = Math.max(20, columns - 1);
    const spinner = spinnerFrames[this.frame % spinnerFrames.length] ?? '*';
    // Lines are cut to the terminal's width so that each takes exactly one row to move back over.
    const lines = this.progress
      .lines(Date.now(), spinner)
      .map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
    this.stdout.write(lines.map((line) => `${line}\n`).join(''));
    this.drawn = lines.length;
  }

  private redraw(): void {
    this.frame += 1;
    this.clear();
    this.draw();
  }
}

/** Follows one deployment's stream until it ends, reconnecting where it left off when it drops. */
async function followOne(
  client: SlipwayClient,
  deployment: Deployment,
  printer: WatchPrinter,
  timings: WatchTimings,
): Promise<{ end: EndOfStream; promoted: string[] }> {
  const promoted: string[] = [];
  let after = 0;
  let failingSince: number | undefined;
  let lastProblem: unknown;
  for (;;) {
    const controller = new AbortController();
    let silence: NodeJS.Timeout | undefined;
    const listen = (): void => {
      clearTimeout(silence);
      silence = setTimeout(
        () => controller.abort(new Error('the stream went silent')),
        timings.silenceMilliseconds,
      );
    };
    try {
      const response = await client.openStream(
        pathOf('deployments', deployment.id, 'stream'),
        { after },
        controller.signal,
      );
      if (response.body === null) throw new Error('the server sent no stream');
      if (failingSince !== undefined) printer.notice('Reconnected.');
      failingSince = undefined;
      listen();
      for await (const message of readServerSentEvents(response.body)) {
        listen();
        if (message.event === 'end') return { end: parseEnd(message.data), promoted };
        const event = parseRecordEvent(message.data);
        if (event === undefined || event.sequence <= after) continue;
        after = event.sequence;
        promoted.push(...promotedDeployments(event));
        printer.event(event);
      }
      lastProblem = new Error('the stream ended before the deployment did');
    } catch (error) {
      // Refusals (401, 403, 404) do not get better by asking again.
      if (error instanceof ApiError) throw error;
      lastProblem = error;
    } finally {
      clearTimeout(silence);
      controller.abort();
    }
    if (failingSince === undefined) {
      failingSince = Date.now();
      printer.notice('Lost the connection to the server; reconnecting…');
    } else if (Date.now() - failingSince > timings.giveUpMilliseconds) {
      if (lastProblem instanceof ServerUnreachableError) throw lastProblem;
      throw new ServerUnreachableError(
        client.connection.url,
        lastProblem instanceof Error ? lastProblem.message : String(lastProblem),
      );
    }
    await sleep(timings.reconnectMilliseconds);
  }
}

/**
 * Watches a deployment live until it ends and, with `follow`, the deployments that its
 * automatic promotion starts after it, one after another. Returns how each ended.
 */
export async function watchDeployments(
  client: SlipwayClient,
  deploymentId: string,
  options: WatchOptions,
): Promise<WatchOutcome[]> {
  const printer = new WatchPrinter(
    options.stdout,
    options.json,
    options.stdout.isTTY === true && !options.json,
  );
  const outcomes: WatchOutcome[] = [];
  const queue = [deploymentId];
  // Interrupted on a terminal: take the progress block away before leaving, like any other exit.
  const interrupted = (): void => {
    printer.stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { deployment } = await client.get<{ deployment: Deployment }>(pathOf('deployments', next));
      printer.begin(deployment, outcomes.length > 0);
      const { end, promoted } = await followOne(client, deployment, printer, defaultTimings);
      printer.end(deployment, end);
      outcomes.push({
        deploymentId: deployment.id,
        environment: deployment.environment,
        state: end.state,
        reason: end.reason,
      });
      if (options.follow) queue.push(...promoted);
    }
  } finally {
    process.removeListener('SIGINT', interrupted);
    printer.stop();
  }
  printer.summary(outcomes);
  return outcomes;
}

/** The exit code of a watch: 0 when every watched deployment succeeded, 1 otherwise. */
export function exitCodeOf(outcomes: readonly WatchOutcome[]): number {
  return outcomes.length > 0 && outcomes.every((outcome) => outcome.state === 'succeeded') ? 0 : 1;
}
