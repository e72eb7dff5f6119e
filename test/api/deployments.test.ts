import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Deployment,
  type DeploymentEvent,
  type DeploymentState,
  type Gate,
  genesisHash,
  isTerminal,
  type ManualTask,
  type MatrixCell,
  type Notification,
  type Principal,
  type StepRun,
} from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, digestOf, expectError, expectStatus, type Page, send, walkPages } from './http.js';

/** Software goes to dev, then a person promotes it to staging. */
const webModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: web
appliesTo: { componentKinds: [software] }
requirements: ["os == linux"]
stages:
  - name: dev
    environment: dev
    steps:
      - name: install
        type: shell
        command: "echo installing {{ component }} {{ version }} on {{ target.name }}"
    acceptance:
      - name: smoke
        type: shell
        command: "test '{{ version }}' != broken"
    promotion: manual
  - name: staging
    environment: staging
    entryCriteria: ["succeeded in dev"]
    steps:
      - name: install
        type: shell
        command: "echo staging {{ version }}"
`;

/** Hardware is racked by hand after two change authorities approve. */
const rackModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: rack
appliesTo: { componentKinds: [hardware] }
requirements: ["power_backup == true"]
stages:
  - name: lab
    environment: lab
    approvals:
      - by: { role: change-authority }
        count: 2
        description: Two change authorities agree to the install window
    steps:
      - name: rack-it
        type: manual
        task: "Rack {{ component }} {{ version }} in {{ target.name }}"
        checklist: [Rails mounted, Power cables connected]
        assignee: { role: practitioner }
`;

interface Detail {
  deployment: Deployment;
  stepRuns: StepRun[];
  gates: Gate[];
  tasks: ManualTask[];
}

/** One Server-Sent Event as the stream delivers it. */
interface StreamedEvent {
  id?: string;
  event: string;
  data: string;
}

function parseEventBlock(block: string): StreamedEvent | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  // A block of comments only (a heartbeat) carries no event.
  if (id === undefined && data.length === 0) return undefined;
  return { ...(id !== undefined && { id }), event, data: data.join('\n') };
}

/** Reads a text/event-stream response one event at a time. */
class EventStreamReader {
  private buffer = '';
  private finished = false;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    readonly abort: () => void,
  ) {}

  /** The next event, or undefined once the server has ended the stream. */
  async next(timeoutMilliseconds = 15_000): Promise<StreamedEvent | undefined> {
    for (;;) {
      const boundary = this.buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = this.buffer.slice(0, boundary);
        this.buffer = this.buffer.slice(boundary + 2);
        const event = parseEventBlock(block);
        if (event !== undefined) return event;
        continue;
      }
      if (this.finished) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no event within ${timeoutMilliseconds} ms`)),
          timeoutMilliseconds,
        );
      });
      try {
        const chunk = await Promise.race([this.reader.read(), timeout]);
        if (chunk.done) this.finished = true;
        else this.buffer += this.decoder.decode(chunk.value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Reads events until one matches, and returns all read, the match last. */
  async until(matches: (event: StreamedEvent) => boolean): Promise<StreamedEvent[]> {
    const read: StreamedEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (event === undefined) throw new Error(`the stream ended after ${read.length} events`);
      read.push(event);
      if (matches(event)) return read;
    }
  }
}

function recordOf(event: StreamedEvent): DeploymentEvent {
  return JSON.parse(event.data) as DeploymentEvent;
}

describe.each(await dialectsUnderTest())('deployments over HTTP on %s', (dialect) => {
  let server: TestServer;
  let baseUrl: string;
  /** A second change authority: gates that need two approvals need two people. */
  let secondAuthorityToken: string;
  const principals = {} as Record<'practitioner' | 'owner' | 'authority' | 'secondAuthority', Principal>;
  const as = (token: string) => (request: Omit<Call, 'token'>) => send(server.app, { ...request, token });
  const admin = (request: Omit<Call, 'token'>) => as(server.adminToken)(request);
  const practitioner = (request: Omit<Call, 'token'>) => as(server.tokens.practitioner)(request);
  const owner = (request: Omit<Call, 'token'>) => as(server.tokens['service-owner'])(request);
  const manager = (request: Omit<Call, 'token'>) => as(server.tokens['deployment-manager'])(request);

  const registerVersion = async (component: string, version: string): Promise<void> => {
    expectStatus(
      await owner({
        method: 'POST',
        url: `/api/v1/components/${component}/versions`,
        body: { version, digest: digestOf(`${component}@${version}`), size: 1 },
      }),
      201,
    );
  };
  const requestDeployment = (body: Record<string, unknown>) =>
    practitioner({ method: 'POST', url: '/api/v1/deployments', body });
  const deploy = async (component: string, version: string, environment: string): Promise<Deployment> =>
    expectStatus<Deployment>(await requestDeployment({ component, version, environment }), 201);
  const detail = async (id: string): Promise<Detail> =>
    expectStatus<Detail>(await manager({ url: `/api/v1/deployments/${id}` }), 200);
  const events = async (id: string, query = ''): Promise<DeploymentEvent[]> =>
    expectStatus<{ items: DeploymentEvent[] }>(
      await manager({ url: `/api/v1/deployments/${id}/events${query}` }),
      200,
    ).items;
  const matrixCell = async (component: string, environment: string): Promise<MatrixCell | undefined> =>
    expectStatus<{ items: MatrixCell[] }>(
      await manager({ url: `/api/v1/matrix?component=${component}&environment=${environment}` }),
      200,
    ).items[0];

  /** Polls the API until the deployment reaches one of the states (default: any terminal state). */
  const waitFor = async (id: string, states?: DeploymentState[]): Promise<Deployment> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { deployment } = await detail(id);
      if (states === undefined ? isTerminal(deployment.state) : states.includes(deployment.state))
        return deployment;
      if (Date.now() > deadline)
        throw new Error(`deployment ${id} is still ${deployment.state}: ${deployment.stateReason ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  /** Polls a list endpoint until it returns an item. */
  const waitForItem = async <T>(url: string): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [item] = expectStatus<{ items: T[] }>(await manager({ url }), 200).items;
      if (item !== undefined) return item;
      if (Date.now() > deadline) throw new Error(`${url} stayed empty`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const openStream = async (
    id: string,
    options: { after?: number; lastEventId?: number } = {},
  ): Promise<EventStreamReader> => {
    const controller = new AbortController();
    const query = options.after === undefined ? '' : `?after=${options.after}`;
    const response = await fetch(`${baseUrl}/api/v1/deployments/${id}/stream${query}`, {
      headers: {
        authorization: `Bearer ${server.tokens.auditor}`,
        ...(options.lastEventId !== undefined && { 'last-event-id': String(options.lastEventId) }),
      },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    if (response.body === null) throw new Error('the stream has no body');
    return new EventStreamReader(response.body.getReader(), () => controller.abort());
  };

  beforeAll(async () => {
    server = await startTestServer(dialect, { engine: true });
    baseUrl = await server.listen();
    const whoami = async (token: string) =>
      expectStatus<Principal>(await as(token)({ url: '/api/v1/whoami' }), 200);
    principals.practitioner = await whoami(server.tokens.practitioner);
    principals.owner = await whoami(server.tokens['service-owner']);
    principals.authority = await whoami(server.tokens['change-authority']);
    const second = expectStatus<{ principal: Principal; token: string }>(
      await admin({
        method: 'POST',
        url: '/api/v1/principals',
        body: { name: 'carla', kind: 'person', roles: ['change-authority'] },
      }),
      201,
    );
    principals.secondAuthority = second.principal;
    secondAuthorityToken = second.token;

    for (const [name, tier] of [
      ['dev', 'development'],
      ['staging', 'staging'],
      ['lab', 'test'],
    ] as const) {
      expectStatus(await admin({ method: 'POST', url: '/api/v1/environments', body: { name, tier } }), 201);
    }
    for (const [environment, name, kind, facts] of [
      ['dev', 'dev-1', 'host', { os: 'linux' }],
      ['staging', 'stg-1', 'host', { os: 'linux' }],
      ['lab', 'rack-7', 'site', { power_backup: true }],
    ] as const) {
      expectStatus(
        await admin({
          method: 'POST',
          url: `/api/v1/environments/${environment}/targets`,
          body: { name, kind, facts },
        }),
        201,
      );
    }
    expectStatus(await admin({ method: 'POST', url: '/api/v1/services', body: { name: 'shop' } }), 201);
    for (const [name, kind] of [
      ['shop-web', 'software'],
      ['db-server', 'hardware'],
      ['handbook', 'documentation'],
    ] as const) {
      expectStatus(
        await admin({ method: 'POST', url: '/api/v1/components', body: { service: 'shop', name, kind } }),
        201,
      );
    }
    for (const source of [webModel, rackModel]) {
      expectStatus(await manager({ method: 'POST', url: '/api/v1/models', body: { source } }), 201);
    }
  });
  afterAll(async () => server?.close());

  describe('a deployment that runs by itself', () => {
    let first: Deployment;

    it('is requested with component@version and an environment, and succeeds', async () => {
      await registerVersion('shop-web', '1.0.0');
      const requested = await deploy('shop-web', '1.0.0', 'dev');
      expect(requested).toMatchObject({
        state: 'requested',
        model: 'web',
        modelVersion: 1,
        stage: 'dev',
        environment: 'dev',
        kind: 'install',
        requestedBy: principals.practitioner.id,
        versions: [{ component: 'shop-web', version: '1.0.0', digest: digestOf('shop-web@1.0.0') }],
      });
      first = await waitFor(requested.id);
      expect(first.state).toBe('succeeded');
      expect(first.finishedAt).toEqual(expect.any(String));
    });

    it('shows the step runs of each phase and no gates or tasks', async () => {
      const shown = await detail(first.id);
      expect(shown.deployment).toEqual(first);
      expect(shown.stepRuns.map((run) => [run.phase, run.step, run.target, run.state, run.exitCode])).toEqual(
        [
          ['execution', 'install', 'dev-1', 'succeeded', 0],
          ['acceptance', 'smoke', 'dev-1', 'succeeded', 0],
        ],
      );
      expect(shown.gates).toEqual([]);
      expect(shown.tasks).toEqual([]);
    });

    it('keeps an ordered record whose hashes chain, with the step output in it', async () => {
      const record = await events(first.id);
      expect(record.length).toBe(first.events);
      expect(record.map((event) => event.sequence)).toEqual(record.map((_event, index) => index + 1));
      expect(record[0]).toMatchObject({ type: 'requested', previousHash: genesisHash });
      record.forEach((event, index) => {
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
        if (index > 0) expect(event.previousHash).toBe(record[index - 1]?.hash);
      });
      expect(
        record
          .filter((event) => event.type === 'transition')
          .map((event) => (event.data as { to: string }).to),
      ).toEqual([
        'planned',
        'scheduled',
        'verifying-components',
        'verifying-environment',
        'executing',
        'verifying-deployment',
        'succeeded',
      ]);
      const output = record
        .filter((event) => event.type === 'log')
        .flatMap((event) => (event.data as { lines: { text: string }[] }).lines.map((line) => line.text));
      expect(output).toContain('installing shop-web 1.0.0 on dev-1');

      const later = await events(first.id, '?after=3&limit=2');
      expect(later).toEqual(record.slice(3, 5));
    });

    it('shows the version in the matrix, with no deployment in flight', async () => {
      expect(await matrixCell('shop-web', 'dev')).toMatchObject({
        component: 'shop-web',
        service: 'shop',
        environment: 'dev',
        version: '1.0.0',
        outcome: 'succeeded',
        deploymentId: first.id,
      });
      expect((await matrixCell('shop-web', 'dev'))?.inFlight).toBeUndefined();
    });

    it('tells the requester how it ended, and only the requester', async () => {
      const told = expectStatus<{ items: Notification[] }>(
        await practitioner({ url: '/api/v1/notifications' }),
        200,
      ).items;
      expect(told.filter((notification) => notification.deploymentId === first.id)).toEqual([
        expect.objectContaining({ kind: 'deployment.succeeded', subject: 'shop-web@1.0.0 → dev: succeeded' }),
      ]);
      const others = expectStatus<{ items: Notification[] }>(
        await owner({ url: '/api/v1/notifications' }),
        200,
      );
      expect(others.items).toEqual([]);
    });

    it('verifies the records intact for an auditor, and only for those who may', async () => {
      const verified = expectStatus<{ intact: boolean; deploymentsChecked: number; eventsChecked: number }>(
        await as(server.tokens.auditor)({ url: '/api/v1/records/verify' }),
        200,
      );
      expect(verified.intact).toBe(true);
      expect(verified.deploymentsChecked).toBeGreaterThanOrEqual(1);
      expect(verified.eventsChecked).toBeGreaterThanOrEqual(first.events);
      const one = expectStatus<{ intact: boolean; deploymentsChecked: number; eventsChecked: number }>(
        await as(server.tokens.auditor)({ url: `/api/v1/records/verify?deployment=${first.id}` }),
        200,
      );
      expect(one).toMatchObject({ intact: true, deploymentsChecked: 1, eventsChecked: first.events });
      expectError(await practitioner({ url: '/api/v1/records/verify' }), 403, 'forbidden');
    });

    it('streams the recorded events after `after`, then ends with the final state', async () => {
      const record = await events(first.id);
      const stream = await openStream(first.id, { after: 3 });
      try {
        const streamed = await stream.until((event) => event.event === 'end');
        const end = streamed.pop();
        expect(streamed.map((event) => [Number(event.id), event.event])).toEqual(
          record.slice(3).map((event) => [event.sequence, event.type]),
        );
        expect(streamed.map(recordOf)).toEqual(record.slice(3));
        expect(JSON.parse(end?.data ?? '{}')).toEqual({ state: 'succeeded', reason: first.stateReason });
        expect(await stream.next()).toBeUndefined();
      } finally {
        stream.abort();
      }
    });

    it('resumes the stream from Last-Event-ID', async () => {
      const record = await events(first.id);
      const stream = await openStream(first.id, { lastEventId: 5 });
      try {
        const streamed = await stream.until((event) => event.event === 'end');
        expect(streamed.slice(0, -1).map((event) => Number(event.id))).toEqual(
          record.slice(5).map((event) => event.sequence),
        );
      } finally {
        stream.abort();
      }
    });
  });

  describe('refusals when requesting', () => {
    it('answers 404 for an unknown deployment on every read and command', async () => {
      const unknown = randomUUID();
      expectError(await manager({ url: `/api/v1/deployments/${unknown}` }), 404, 'not_found');
      expectError(await manager({ url: `/api/v1/deployments/${unknown}/events` }), 404, 'not_found');
      expectError(await manager({ url: `/api/v1/deployments/${unknown}/stream` }), 404, 'not_found');
      expectError(
        await manager({
          method: 'POST',
          url: `/api/v1/deployments/${unknown}/cancel`,
          body: { reason: 'x' },
        }),
        404,
        'not_found',
      );
      expectError(await manager({ url: '/api/v1/deployments/not-an-id' }), 400, 'validation_failed');
      expectError(
        await manager({ method: 'POST', url: `/api/v1/gates/${unknown}/approve`, body: {} }),
        404,
        'not_found',
      );
      expectError(
        await manager({ method: 'POST', url: `/api/v1/tasks/${unknown}/complete`, body: { evidence: 'x' } }),
        404,
        'not_found',
      );
    });

    it('refuses a version that is not registered, and unknown components or environments', async () => {
      const before = expectStatus<Page<Deployment>>(await manager({ url: '/api/v1/deployments' }), 200);
      const error = expectError(
        await requestDeployment({ component: 'shop-web', version: '9.9.9', environment: 'dev' }),
        404,
        'not_found',
      );
      expect(error.message).toContain('9.9.9');
      expectError(
        await requestDeployment({ component: 'no-such-component', version: '1.0.0', environment: 'dev' }),
        404,
        'not_found',
      );
      expectError(
        await requestDeployment({ component: 'shop-web', version: '1.0.0', environment: 'no-such-env' }),
        404,
        'not_found',
      );
      expectError(
        await requestDeployment({ component: 'shop-web', environment: 'dev' }),
        400,
        'validation_failed',
      );
      const after = expectStatus<Page<Deployment>>(await manager({ url: '/api/v1/deployments' }), 200);
      expect(after.items.map((deployment) => deployment.id)).toEqual(
        before.items.map((deployment) => deployment.id),
      );
    });

    it('answers 409 no_model_applies when no model deploys the component there', async () => {
      await registerVersion('handbook', '2024.1');
      const noKind = expectError(
        await requestDeployment({ component: 'handbook', version: '2024.1', environment: 'dev' }),
        409,
        'no_model_applies',
      );
      expect(noKind.message).toContain('handbook');
      // The web model applies to software but has no stage for the lab.
      expectError(
        await requestDeployment({ component: 'shop-web', version: '1.0.0', environment: 'lab' }),
        409,
        'no_model_applies',
      );
      expectError(
        await requestDeployment({
          component: 'handbook',
          version: '2024.1',
          environment: 'dev',
          model: 'web',
        }),
        409,
        'model_not_applicable',
      );
    });

    it('lets only the roles that may request deployments do so', async () => {
      expectError(
        await as(server.tokens.auditor)({
          method: 'POST',
          url: '/api/v1/deployments',
          body: { component: 'shop-web', version: '1.0.0', environment: 'dev' },
        }),
        403,
        'forbidden',
      );
    });
  });

  describe('promotion', () => {
    it('refuses a version that has not succeeded in the previous stage', async () => {
      await registerVersion('shop-web', '2.0.0');
      const error = expectError(
        await owner({
          method: 'POST',
          url: '/api/v1/promotions',
          body: { component: 'shop-web', version: '2.0.0', environment: 'staging' },
        }),
        409,
        'not_promotable',
      );
      expect(error.message).toContain('shop-web@2.0.0');
      // Success in dev leads to staging, not back to dev.
      expectError(
        await owner({
          method: 'POST',
          url: '/api/v1/promotions',
          body: { component: 'shop-web', version: '1.0.0', environment: 'dev' },
        }),
        409,
        'not_promotable',
      );
      expectError(
        await practitioner({
          method: 'POST',
          url: '/api/v1/promotions',
          body: { component: 'shop-web', version: '1.0.0', environment: 'staging' },
        }),
        403,
        'forbidden',
      );
    });

    it('promotes a version that succeeded in dev into staging, once', async () => {
      const [dev] = expectStatus<Page<Deployment>>(
        await manager({ url: '/api/v1/deployments?environment=dev&state=succeeded' }),
        200,
      ).items;
      const promoted = expectStatus<Deployment>(
        await owner({
          method: 'POST',
          url: '/api/v1/promotions',
          body: { component: 'shop-web', version: '1.0.0', environment: 'staging', reason: 'Ready for QA' },
        }),
        201,
      );
      expect(promoted).toMatchObject({
        stage: 'staging',
        environment: 'staging',
        flowId: dev?.flowId,
        requestedBy: principals.owner.id,
        stateReason: 'Ready for QA',
      });
      expectError(
        await owner({
          method: 'POST',
          url: '/api/v1/promotions',
          body: { component: 'shop-web', version: '1.0.0', environment: 'staging' },
        }),
        409,
        'already_promoted',
      );
      expect((await waitFor(promoted.id)).state).toBe('succeeded');
      expect((await matrixCell('shop-web', 'staging'))?.version).toBe('1.0.0');
    });
  });

  describe('manual work: gates and tasks', () => {
    let waiting: Deployment;
    let gate: Gate;
    let task: ManualTask;
    const approve = (token: string, gateId: string) =>
      as(token)({
        method: 'POST',
        url: `/api/v1/gates/${gateId}/approve`,
        body: { comment: 'window agreed' },
      });
    const complete = (token: string, taskId: string, body: Record<string, unknown>) =>
      as(token)({ method: 'POST', url: `/api/v1/tasks/${taskId}/complete`, body });

    it('waits at a gate before execution, in flight in the matrix', async () => {
      await registerVersion('db-server', 'r1');
      waiting = await deploy('db-server', 'r1', 'lab');
      gate = await waitForItem<Gate>(`/api/v1/gates?deployment=${waiting.id}&state=open`);
      expect(gate).toMatchObject({
        kind: 'approval',
        requiredRoles: ['change-authority'],
        requiredCount: 2,
        approvers: [],
        description: 'Two change authorities agree to the install window',
      });
      expect((await detail(waiting.id)).deployment.state).toBe('planned');
      expect(await matrixCell('db-server', 'lab')).toMatchObject({
        inFlight: { deploymentId: waiting.id, version: 'r1', state: 'planned' },
      });
      expect((await matrixCell('db-server', 'lab'))?.version).toBeUndefined();
    });

    it('refuses a gate approval by a role the gate does not name', async () => {
      const refused = expectError(await approve(server.tokens.practitioner, gate.id), 403, 'forbidden');
      expect(refused.message).toContain('change-authority');
      expectError(await approve(server.tokens['deployment-manager'], gate.id), 403, 'forbidden');
      expectError(await approve(server.tokens.auditor, gate.id), 403, 'forbidden');
    });

    it('counts each person once towards the approvals a gate needs', async () => {
      const once = expectStatus<Gate>(await approve(server.tokens['change-authority'], gate.id), 200);
      expect(once).toMatchObject({ state: 'open', approvers: [principals.authority.id] });
      expectError(await approve(server.tokens['change-authority'], gate.id), 409, 'already_approved');
      expect((await detail(waiting.id)).deployment.state).toBe('planned');
      const twice = expectStatus<Gate>(await approve(secondAuthorityToken, gate.id), 200);
      expect(twice).toMatchObject({
        state: 'passed',
        approvers: [principals.authority.id, principals.secondAuthority.id],
      });
      expectError(await approve(server.tokens['change-authority'], gate.id), 409, 'gate_closed');
    });

    it('opens a manual task for the assigned role and waits for it while executing', async () => {
      task = await waitForItem<ManualTask>(`/api/v1/tasks?deployment=${waiting.id}&state=open`);
      expect(task).toMatchObject({
        title: 'Rack db-server r1 in rack-7',
        checklist: ['Rails mounted', 'Power cables connected'],
        assigneeRole: 'practitioner',
        evidenceRequired: true,
      });
      expect((await waitFor(waiting.id, ['executing'])).state).toBe('executing');
      expect(await matrixCell('db-server', 'lab')).toMatchObject({
        inFlight: { deploymentId: waiting.id, version: 'r1', state: 'executing' },
      });
      const shown = await detail(waiting.id);
      expect(shown.tasks.map((item) => item.id)).toEqual([task.id]);
      expect(shown.gates.map((item) => [item.id, item.state])).toEqual([[gate.id, 'passed']]);
      expect(shown.stepRuns.map((run) => [run.step, run.target, run.state])).toEqual([
        ['rack-it', 'rack-7', 'waiting'],
      ]);
    });

    it('refuses to cancel it once it is executing', async () => {
      const refused = expectError(
        await owner({
          method: 'POST',
          url: `/api/v1/deployments/${waiting.id}/cancel`,
          body: { reason: 'changed my mind' },
        }),
        409,
        'invalid_transition',
      );
      expect(refused.message).toContain('executing');
      expect((await detail(waiting.id)).deployment.state).toBe('executing');
    });

    it('refuses to complete the task without evidence, or by someone not assigned', async () => {
      const missing = expectError(
        await complete(server.tokens.practitioner, task.id, { checklist: task.checklist }),
        400,
        'validation_failed',
      );
      expect(missing.details?.problems?.map((problem) => problem.path)).toEqual(['/body/evidence']);
      expectError(
        await complete(server.tokens.practitioner, task.id, { evidence: '   ' }),
        400,
        'validation_failed',
      );
      const unticked = expectError(
        await complete(server.tokens.practitioner, task.id, {
          evidence: 'Racked in U12',
          checklist: ['Rails mounted'],
        }),
        400,
        'validation_failed',
      );
      expect(unticked.message).toContain('Power cables connected');
      const notYours = expectError(
        await complete(server.tokens['service-owner'], task.id, { evidence: 'Racked in U12' }),
        403,
        'forbidden',
      );
      expect(notYours.message).toContain('practitioner');
      expectError(
        await complete(server.tokens.auditor, task.id, { evidence: 'Racked in U12' }),
        403,
        'forbidden',
      );
      const still = expectStatus<{ items: ManualTask[] }>(
        await manager({ url: `/api/v1/tasks?deployment=${waiting.id}` }),
        200,
      ).items;
      expect(still.map((item) => item.state)).toEqual(['open']);
    });

    it('completes the task once with evidence, and refuses a second completion', async () => {
      const done = expectStatus<ManualTask>(
        await complete(server.tokens.practitioner, task.id, {
          evidence: 'Racked in U12-U13, photo TCK-99',
          checklist: task.checklist,
        }),
        200,
      );
      expect(done).toMatchObject({
        state: 'completed',
        evidence: 'Racked in U12-U13, photo TCK-99',
        decidedBy: principals.practitioner.id,
      });
      expectError(
        await complete(server.tokens.practitioner, task.id, { evidence: 'again' }),
        409,
        'task_closed',
      );
      expect((await waitFor(waiting.id)).state).toBe('succeeded');
      const record = await events(waiting.id);
      expect(record.find((event) => event.type === 'task.completed')).toMatchObject({
        actorId: principals.practitioner.id,
        data: { evidence: 'Racked in U12-U13, photo TCK-99' },
      });
      expect(record.filter((event) => event.type === 'gate.decided').map((event) => event.actorId)).toEqual([
        principals.authority.id,
        principals.secondAuthority.id,
      ]);
    });

    it('shows the version in the matrix once it succeeded', async () => {
      const cell = await matrixCell('db-server', 'lab');
      expect(cell).toMatchObject({ version: 'r1', outcome: 'succeeded', deploymentId: waiting.id });
      expect(cell?.inFlight).toBeUndefined();
    });
  });

  describe('watching a deployment live', () => {
    it('delivers new events while the deployment runs and ends with its final state', async () => {
      await registerVersion('db-server', 'r2');
      const watched = await deploy('db-server', 'r2', 'lab');
      const gate = await waitForItem<Gate>(`/api/v1/gates?deployment=${watched.id}&state=open`);
      const stream = await openStream(watched.id);
      try {
        const replayed = await stream.until((event) => event.event === 'gate.opened');
        expect(replayed[0]).toMatchObject({ id: '1', event: 'requested' });
        const openedAt = Number(replayed.at(-1)?.id);

        // Everything from here on is committed after the stream opened.
        expectStatus(
          await as(server.tokens['change-authority'])({
            method: 'POST',
            url: `/api/v1/gates/${gate.id}/approve`,
            body: {},
          }),
          200,
        );
        expectStatus(
          await as(secondAuthorityToken)({
            method: 'POST',
            url: `/api/v1/gates/${gate.id}/approve`,
            body: {},
          }),
          200,
        );
        const toTask = await stream.until((event) => event.event === 'task.opened');
        expect(toTask.filter((event) => event.event === 'gate.decided')).toHaveLength(2);
        const { taskId } = recordOf(toTask.at(-1) as StreamedEvent).data as { taskId: string };
        expect(Number(toTask[0]?.id)).toBe(openedAt + 1);

        expectStatus(
          await as(server.tokens.practitioner)({
            method: 'POST',
            url: `/api/v1/tasks/${taskId}/complete`,
            body: { evidence: 'Racked in U14' },
          }),
          200,
        );
        const rest = await stream.until((event) => event.event === 'end');
        const end = rest.pop();
        expect(JSON.parse(end?.data ?? '{}')).toMatchObject({ state: 'succeeded' });
        expect(await stream.next()).toBeUndefined();

        const streamed = [...replayed, ...toTask, ...rest].map(recordOf);
        expect(streamed.map((event) => event.type)).toEqual(
          expect.arrayContaining(['task.completed', 'step.finished', 'notified']),
        );
        // Nothing was skipped or sent twice: the stream is the record.
        expect(streamed).toEqual(await events(watched.id));
      } finally {
        stream.abort();
      }
    });
  });

  describe('cancelling', () => {
    let waiting: Deployment;

    it('cancels a deployment that has not started executing', async () => {
      await registerVersion('db-server', 'r3');
      waiting = await deploy('db-server', 'r3', 'lab');
      await waitForItem<Gate>(`/api/v1/gates?deployment=${waiting.id}&state=open`);
      expectError(
        await practitioner({
          method: 'POST',
          url: `/api/v1/deployments/${waiting.id}/cancel`,
          body: { reason: 'not mine to cancel' },
        }),
        403,
        'forbidden',
      );
      const cancelled = expectStatus<Deployment>(
        await owner({
          method: 'POST',
          url: `/api/v1/deployments/${waiting.id}/cancel`,
          body: { reason: 'Install window moved' },
        }),
        200,
      );
      expect(cancelled).toMatchObject({
        id: waiting.id,
        state: 'cancelled',
        stateReason: 'Install window moved',
      });
      const record = await events(waiting.id);
      expect(
        record.find(
          (event) => event.type === 'transition' && (event.data as { to: string }).to === 'cancelled',
        ),
      ).toMatchObject({ actorId: principals.owner.id });
      // The version racked before stays the current one.
      const cell = await matrixCell('db-server', 'lab');
      expect(cell).toMatchObject({ version: 'r2' });
      expect(cell?.inFlight).toBeUndefined();
      const told = expectStatus<{ items: Notification[] }>(
        await practitioner({ url: '/api/v1/notifications' }),
        200,
      ).items;
      expect(told.find((notification) => notification.deploymentId === waiting.id)?.kind).toBe(
        'deployment.cancelled',
      );
    });

    it('closes the gates of a cancelled deployment and refuses decisions on them', async () => {
      const open = expectStatus<{ items: Gate[] }>(
        await manager({ url: `/api/v1/gates?deployment=${waiting.id}&state=open` }),
        200,
      ).items;
      expect(open).toEqual([]);
      const [gate] = expectStatus<{ items: Gate[] }>(
        await manager({ url: `/api/v1/gates?deployment=${waiting.id}` }),
        200,
      ).items;
      if (gate === undefined) throw new Error('expected the gate of the cancelled deployment');
      expectError(
        await as(server.tokens['change-authority'])({
          method: 'POST',
          url: `/api/v1/gates/${gate.id}/approve`,
          body: {},
        }),
        409,
        'gate_closed',
      );
      expect((await events(waiting.id)).at(-1)?.type).toBe('notified');
    });

    it('refuses to cancel a deployment that has ended or run', async () => {
      const again = expectError(
        await owner({
          method: 'POST',
          url: `/api/v1/deployments/${waiting.id}/cancel`,
          body: { reason: 'twice' },
        }),
        409,
        'invalid_transition',
      );
      expect(again.message).toContain('cancelled');
      const [succeeded] = expectStatus<Page<Deployment>>(
        await manager({ url: '/api/v1/deployments?state=succeeded' }),
        200,
      ).items;
      if (succeeded === undefined) throw new Error('expected a succeeded deployment');
      expectError(
        await owner({
          method: 'POST',
          url: `/api/v1/deployments/${succeeded.id}/cancel`,
          body: { reason: 'too late' },
        }),
        409,
        'invalid_transition',
      );
      expect((await detail(succeeded.id)).deployment.state).toBe('succeeded');
    });
  });

  describe('listing', () => {
    let all: Deployment[];
    const ids = async (query: string): Promise<string[]> =>
      (await walkPages<Deployment>(server.app, server.tokens.auditor, `/api/v1/deployments${query}`, 2))
        .flat()
        .map((deployment) => deployment.id);

    beforeAll(async () => {
      all = expectStatus<Page<Deployment>>(
        await manager({ url: '/api/v1/deployments?limit=500' }),
        200,
      ).items;
    });

    it('lists newest first and pages through every deployment without gaps or duplicates', async () => {
      expect(all.length).toBe(5);
      const requestedAt = all.map((deployment) => deployment.requestedAt);
      expect([...requestedAt].sort().reverse()).toEqual(requestedAt);
      const pages = await walkPages<Deployment>(server.app, server.tokens.auditor, '/api/v1/deployments', 4);
      expect(pages.map((page) => page.length)).toEqual([4, 1]);
      expect(pages.flat().map((deployment) => deployment.id)).toEqual(all.map((deployment) => deployment.id));
      expectError(
        await manager({ url: '/api/v1/deployments?cursor=not-a-cursor' }),
        400,
        'validation_failed',
      );
    });

    it('filters by state, environment, component, model and requester', async () => {
      const where = (test: (deployment: Deployment) => boolean) =>
        all.filter(test).map((deployment) => deployment.id);
      expect(await ids('?state=succeeded')).toEqual(where((deployment) => deployment.state === 'succeeded'));
      expect(await ids('?state=cancelled')).toHaveLength(1);
      expect(await ids('?state=cancelled&state=succeeded')).toEqual(
        where((deployment) => ['cancelled', 'succeeded'].includes(deployment.state)),
      );
      expect(await ids('?environment=lab')).toEqual(where((deployment) => deployment.environment === 'lab'));
      expect(await ids('?environment=lab')).toHaveLength(3);
      expect(await ids('?component=shop-web')).toEqual(
        where((deployment) => deployment.versions.some((member) => member.component === 'shop-web')),
      );
      expect(await ids('?component=shop-web')).toHaveLength(2);
      expect(await ids('?model=rack')).toEqual(where((deployment) => deployment.model === 'rack'));
      expect(await ids('?model=rack')).toEqual(await ids('?component=db-server'));
      expect(await ids('?model=rack')).toHaveLength(3);
      expect(await ids('?model=web&environment=staging')).toHaveLength(1);
      expect(await ids(`?requestedBy=${principals.owner.id}`)).toEqual(
        where((deployment) => deployment.requestedBy === principals.owner.id),
      );
      expect(await ids('?state=failed')).toEqual([]);
      expectError(await manager({ url: '/api/v1/deployments?state=done' }), 400, 'validation_failed');
      expectError(await manager({ url: '/api/v1/deployments?environment=nowhere' }), 404, 'not_found');
    });

    it('filters by when deployments were requested: from is inclusive, to exclusive', async () => {
      const oldestFirst = [...all].reverse();
      const pivot = oldestFirst[2];
      if (pivot === undefined) throw new Error('expected deployments');
      const from = await ids(`?from=${encodeURIComponent(pivot.requestedAt)}`);
      const to = await ids(`?to=${encodeURIComponent(pivot.requestedAt)}`);
      expect(from).toEqual(
        all
          .filter((deployment) => deployment.requestedAt >= pivot.requestedAt)
          .map((deployment) => deployment.id),
      );
      expect(from).toContain(pivot.id);
      expect(to).not.toContain(pivot.id);
      expect(new Set([...from, ...to])).toEqual(new Set(all.map((deployment) => deployment.id)));
      expect(to.length).toBeGreaterThan(0);
      const window = await ids(
        `?from=${encodeURIComponent(pivot.requestedAt)}&to=${encodeURIComponent(oldestFirst[4]?.requestedAt ?? '')}`,
      );
      expect(window).toContain(pivot.id);
      expect(window).not.toContain(oldestFirst[4]?.id);
      expectError(await manager({ url: '/api/v1/deployments?from=yesterday' }), 400, 'validation_failed');
    });
  });
});

describe.each(await dialectsUnderTest())('streams of a server without a running engine on %s', (dialect) => {
  // Without the engine a requested deployment stays requested: its stream never ends by itself.
  let server: TestServer;
  let baseUrl: string;
  let closed = false;
  const call = (request: Omit<Call, 'token'>) => send(server.app, { ...request, token: server.adminToken });
  const request = async (): Promise<Deployment> =>
    expectStatus<Deployment>(
      await call({
        method: 'POST',
        url: '/api/v1/deployments',
        body: { component: 'shop-web', version: '1.0.0', environment: 'dev' },
      }),
      201,
    );
  const openStream = async (id: string): Promise<EventStreamReader> => {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/api/v1/deployments/${id}/stream`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    if (response.body === null) throw new Error('the stream has no body');
    return new EventStreamReader(response.body.getReader(), () => controller.abort());
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    baseUrl = await server.listen();
    expectStatus(
      await call({ method: 'POST', url: '/api/v1/environments', body: { name: 'dev', tier: 'development' } }),
      201,
    );
    expectStatus(await call({ method: 'POST', url: '/api/v1/services', body: { name: 'shop' } }), 201);
    expectStatus(
      await call({
        method: 'POST',
        url: '/api/v1/components',
        body: { service: 'shop', name: 'shop-web', kind: 'software' },
      }),
      201,
    );
    expectStatus(
      await call({
        method: 'POST',
        url: '/api/v1/components/shop-web/versions',
        body: { version: '1.0.0', digest: digestOf('shop-web@1.0.0'), size: 1 },
      }),
      201,
    );
    expectStatus(await call({ method: 'POST', url: '/api/v1/models', body: { source: webModel } }), 201);
  });
  afterAll(async () => {
    if (!closed) await server?.close();
  });

  it('replays a long record without pausing between pages', async () => {
    const long = await request();
    // A long-running step leaves thousands of log events; write them as the engine would.
    await server.store.deployments.mutate(long.id, async (transaction) => {
      for (let line = 1; line <= 2_500; line += 1)
        transaction.append('log', { lines: [{ stream: 'stdout', text: `line ${line}` }] });
    });
    const cancelled = expectStatus<Deployment>(
      await call({ method: 'POST', url: `/api/v1/deployments/${long.id}/cancel`, body: { reason: 'done' } }),
      200,
    );
    expect(cancelled.events).toBeGreaterThan(2_500);
    const stream = await openStream(long.id);
    try {
      const sequences: number[] = [];
      // Each event must follow promptly: well within the 2 s at which the stream polls the store.
      for (let event = await stream.next(1_500); event?.event !== 'end'; event = await stream.next(1_500)) {
        if (event === undefined) throw new Error('the stream ended without an end event');
        sequences.push(Number(event.id));
      }
      expect(sequences).toEqual(Array.from({ length: cancelled.events }, (_item, index) => index + 1));
    } finally {
      stream.abort();
    }
  });

  it('ends open streams so that the server can shut down while a deployment is watched', async () => {
    const watched = await request();
    const stream = await openStream(watched.id);
    try {
      expect(await stream.next()).toMatchObject({ id: '1', event: 'requested' });
      const shutdown = server.close().then(() => {
        closed = true;
      });
      // The stream ends without an `end` event: the deployment has not finished, and a
      // client resumes with Last-Event-ID once a server is back.
      expect(await stream.next(5_000)).toBeUndefined();
      await shutdown;
      expect(closed).toBe(true);
    } finally {
      stream.abort();
    }
  });
});
