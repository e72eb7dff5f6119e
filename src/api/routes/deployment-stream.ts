import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DeploymentEvent, type DeploymentState, isTerminal } from '../../domain/index.js';
import type { Store } from '../../store/index.js';

const heartbeatMilliseconds = 15_000;
// Events committed by another server node reach this one by polling the store.
const pollMilliseconds = 2_000;
// Recorded events are read from the store this many at a time.
const replayPageSize = 1_000;

function lastEventId(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  const value = Number(Array.isArray(header) ? header[0] : header);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Streams a deployment's record as Server-Sent Events: first what is already recorded after
 * `after` (or Last-Event-ID), then each event as it is committed. The stream ends with an
 * `end` event once the deployment has finished. While it is open, its close function is in
 * `open`, so that a shutting-down server can end it (the client resumes with Last-Event-ID).
 */
export async function streamDeployment(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  deploymentId: string,
  after: number,
  open: Set<() => void>,
): Promise<void> {
  await store.deployments.get(deploymentId); // 404 before the stream opens
  let sent = lastEventId(request) ?? after;
  const queue: DeploymentEvent[] = [];
  let closed = false;
  let draining = Promise.resolve();

  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });

  const close = (): void => {
    if (closed) return;
    closed = true;
    open.delete(close);
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(poller);
    response.end();
  };

  const write = (events: readonly DeploymentEvent[]): void => {
    for (const event of events) {
      if (event.sequence <= sent) continue;
      response.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      sent = event.sequence;
    }
  };

  const drain = (): Promise<void> => {
    draining = draining
      .then(async () => {
        if (closed) return;
        const queued = queue.splice(0);
        if (queued.length > 0 && (queued[0]?.sequence ?? 0) === sent + 1) write(queued);
        else {
          // Read from the store so nothing is skipped between what was queued and what was sent;
          // a long record is read page by page now rather than one page per poll.
          for (;;) {
            const page = await store.records.events(deploymentId, sent, replayPageSize);
            write(page);
            if (page.length < replayPageSize || closed) break;
          }
        }
        const deployment = await store.deployments.row(deploymentId);
        if (
          deployment !== undefined &&
          isTerminal(deployment.state as DeploymentState) &&
          deployment.event_count <= sent
        ) {
          response.write(
            `event: end\ndata: ${JSON.stringify({ state: deployment.state, reason: deployment.state_reason })}\n\n`,
          );
          close();
        }
      })
      .catch(() => close());
    return draining;
  };

  const unsubscribe = store.bus.onEvents((events) => {
    const mine = events.filter((event) => event.deploymentId === deploymentId);
    if (mine.length === 0) return;
    queue.push(...mine);
    void drain();
  });
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), heartbeatMilliseconds);
  const poller = setInterval(() => void drain(), pollMilliseconds);
  request.raw.on('close', close);
  open.add(close);
  await drain();
}
