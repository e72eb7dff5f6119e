/*
 * API throughput benchmark: GET /api/v1/components/{id} against GET /healthz of the same server,
 * in the same run, so that the ratio says what authentication, one store read and the JSON
 * response cost on top of Fastify's bare minimum.
 *
 * The server runs as a child process (`node dist/src/cli/main.js up`, built first), so that
 * autocannon and the server each have their own event loop, as they would in production.
 * Besides requests per second and latency, it prints the server process's CPU time per request
 * (Linux), which stays meaningful on a machine where other work competes for the cores. On
 * PostgreSQL that figure leaves out the database's own CPU time.
 *
 *   npm run bench:api                                    embedded SQLite store
 *   npm run bench:api -- --database-url postgres://postgres@127.0.0.1:5432/test
 *                                                        PostgreSQL: a fresh database is created
 *                                                        on that server and dropped afterwards
 *
 * Settings (environment variables):
 *   SLIPWAY_BENCH_DURATION     seconds measured per route (default 10)
 *   SLIPWAY_BENCH_WARMUP       seconds of warm-up per route, not measured (default 3)
 *   SLIPWAY_BENCH_CONNECTIONS  concurrent connections (default 50)
 *   SLIPWAY_BENCH_ROUNDS       measured rounds, each route once per round; the figures are
 *                              medians over the rounds (default 1)
 *   SLIPWAY_BENCH_DATABASE_URL the same as --database-url
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  /** A PostgreSQL server to create the benchmark's database on; undefined for SQLite. */
  databaseUrl: string | undefined;
}

function numberFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < minimum) {
    throw new Error(`${name} must be a number of at least ${minimum}, not "${raw}".`);
  }
  return value;
}

function readSettings(argv: readonly string[]): Settings {
  let databaseUrl = process.env.SLIPWAY_BENCH_DATABASE_URL?.trim() || undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    if (argument === '--database-url') {
      databaseUrl = argv[index + 1];
      index++;
    } else if (argument.startsWith('--database-url=')) {
      databaseUrl = argument.slice('--database-url='.length);
    } else {
      throw new Error(`Unknown argument "${argument}". Usage: bench/api.ts [--database-url postgres://…]`);
    }
  }
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('--database-url must be a postgres:// URL.');
  }
  return {
    durationSeconds: numberFromEnv('SLIPWAY_BENCH_DURATION', 10, 1),
    warmupSeconds: numberFromEnv('SLIPWAY_BENCH_WARMUP', 3, 0),
    connections: Math.floor(numberFromEnv('SLIPWAY_BENCH_CONNECTIONS', 50, 1)),
    rounds: Math.floor(numberFromEnv('SLIPWAY_BENCH_ROUNDS', 1, 1)),
    databaseUrl,
  };
}

/** Asks the kernel for a free loopback port. */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** A fresh PostgreSQL database on the given server, and how to drop it. */
async function createDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `slipway_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The server under test, with the tail of its output for error messages. */
interface ServerProcess {
  child: ChildProcess;
  output(): string;
}

function startServer(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'up'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => tail };
}

async function stopServer(server: ServerProcess): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitUntilHealthy(baseUrl: string, server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`The server exited with code ${server.child.exitCode}:\n${server.output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`The server did not become healthy within 30 s:\n${server.output()}`);
}

async function postJson(url: string, token: string, body: unknown): Promise<{ id: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as { id: string };
}

/** What one route achieved in one measured period. */
interface Measurement {
  requestsPerSecond: number;
  p50Milliseconds: number;
  p99Milliseconds: number;
  requests: number;
  /** Server CPU time (user + system) per request in microseconds, where the OS tells it. */
  serverCpuMicroseconds: number | undefined;
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on practically every Linux. */
const clockTicksPerSecond = (() => {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/**
 * CPU seconds a process has used so far, from /proc (Linux only). Unlike requests per second,
 * CPU time per request hardly changes when other work competes for the machine's cores.
 */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined;
    return (userTicks + systemTicks) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** A route under load. */
interface Route {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function load(
  route: Route,
  seconds: number,
  connections: number,
  serverPid: number | undefined,
): Promise<Measurement> {
  const cpuBefore = cpuSecondsOf(serverPid);
  const result = await autocannon({
    url: route.url,
    headers: route.headers,
    connections,
    duration: seconds,
    pipelining: 1,
  });
  const cpuAfter = cpuSecondsOf(serverPid);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${route.name}: ${result.non2xx} non-2xx responses and ${result.errors} connection errors; ` +
        'the figures would be meaningless.',
    );
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Milliseconds: result.latency.p50,
    p99Milliseconds: result.latency.p99,
    requests: result.requests.total,
    serverCpuMicroseconds:
      cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Warms both routes up, then measures them back to back, round after round. The ratio of
 * each round compares two periods seconds apart, so a machine whose load drifts during the
 * run disturbs it less than it disturbs the absolute figures.
 */
async function measureRoutes(
  baseline: Route,
  subject: Route,
  settings: Settings,
  serverPid: number | undefined,
): Promise<{ baseline: Measurement[]; subject: Measurement[] }> {
  if (settings.warmupSeconds > 0) {
    await load(baseline, settings.warmupSeconds, settings.connections, serverPid);
    await load(subject, settings.warmupSeconds, settings.connections, serverPid);
  }
  const measured = { baseline: [] as Measurement[], subject: [] as Measurement[] };
  for (let round = 1; round <= settings.rounds; round++) {
    const first = await load(baseline, settings.durationSeconds, settings.connections, serverPid);
    const second = await load(subject, settings.durationSeconds, settings.connections, serverPid);
    measured.baseline.push(first);
    measured.subject.push(second);
    if (settings.rounds > 1) {
      console.log(
        `round ${round}: ${baseline.name} ${first.requestsPerSecond.toFixed(0)}/s, ` +
          `${subject.name} ${second.requestsPerSecond.toFixed(0)}/s, ` +
          `ratio ${(second.requestsPerSecond / first.requestsPerSecond).toFixed(2)}`,
      );
    }
  }
  return measured;
}

function printResults(
  settings: Settings,
  store: string,
  routes: readonly [Route, Route],
  measured: { baseline: Measurement[]; subject: Measurement[] },
): void {
  const cpuOf = (runs: readonly Measurement[]): number | undefined => {
    const known = runs.flatMap((run) =>
      run.serverCpuMicroseconds === undefined ? [] : [run.serverCpuMicroseconds],
    );
    return known.length === runs.length ? median(known) : undefined;
  };
  const summarise = (name: string, runs: readonly Measurement[]): string[] => [
    name,
    median(runs.map((run) => run.requestsPerSecond)).toFixed(0),
    median(runs.map((run) => run.p50Milliseconds)).toFixed(1),
    median(runs.map((run) => run.p99Milliseconds)).toFixed(1),
    cpuOf(runs)?.toFixed(0) ?? '-',
    String(runs.reduce((sum, run) => sum + run.requests, 0)),
  ];
  const rows = [summarise(routes[0].name, measured.baseline), summarise(routes[1].name, measured.subject)];
  const header = ['route', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'requests'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const ratios = measured.subject.map(
    (run, index) => run.requestsPerSecond / (measured.baseline[index]?.requestsPerSecond ?? Number.NaN),
  );
  const ratio = median(ratios);
  console.log('');
  console.log(
    `store: ${store}; ${settings.connections} connections, no pipelining; ` +
      `${settings.warmupSeconds} s warm-up, then ${settings.rounds} round(s) of ` +
      `${settings.durationSeconds} s per route; node ${process.version}`,
  );
  if (settings.rounds > 1) console.log('figures are medians over the rounds; requests are totals');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(
    `ratio ${routes[1].name} / ${routes[0].name} (requests/s): ${ratio.toFixed(2)} (${(ratio * 100).toFixed(0)} %)`,
  );
  const baselineCpu = cpuOf(measured.baseline);
  const subjectCpu = cpuOf(measured.subject);
  if (baselineCpu !== undefined && subjectCpu !== undefined && subjectCpu > 0) {
    // Requests per CPU-second: what the ratio would be if the server had a core to itself.
    console.log(
      `ratio by server CPU time per request (healthz cost / component cost): ${(baselineCpu / subjectCpu).toFixed(2)}`,
    );
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));

  console.log('Building the server (npm run build)…');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('The build failed.');

  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error(`Clean-up failed: ${String(error)}`));
    }
    cleanups.length = 0;
  };
  const interrupted = (): void => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

    let databaseUrl: string | undefined;
    if (settings.databaseUrl !== undefined) {
      const database = await createDatabase(settings.databaseUrl);
      cleanups.push(database.drop);
      databaseUrl = database.url;
    }

    const port = await freePort();
    const adminToken = `slw_bench_${randomBytes(24).toString('base64url')}`;
    const serverEnv: NodeJS.ProcessEnv = {
      ...process.env,
      SLIPWAY_HOST: '127.0.0.1',
      SLIPWAY_PORT: String(port),
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_ADMIN_TOKEN: adminToken,
      SLIPWAY_LOG_LEVEL: 'warn',
    };
    delete serverEnv.SLIPWAY_DATABASE_URL;
    if (databaseUrl !== undefined) serverEnv.SLIPWAY_DATABASE_URL = databaseUrl;

    const server = startServer(serverEnv);
    cleanups.push(async () => stopServer(server));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilHealthy(baseUrl, server);

    const service = await postJson(`${baseUrl}/api/v1/services`, adminToken, { name: 'bench-shop' });
    const component = await postJson(`${baseUrl}/api/v1/components`, adminToken, {
      service: service.id,
      name: 'bench-web',
      kind: 'software',
      description: 'The component the benchmark reads',
    });
    const componentUrl = `${baseUrl}/api/v1/components/${component.id}`;
    const check = await fetch(componentUrl, { headers: { authorization: `Bearer ${adminToken}` } });
    if (check.status !== 200) throw new Error(`GET ${componentUrl} answered ${check.status}.`);

    const synchronous = (serverEnv.SLIPWAY_SQLITE_SYNCHRONOUS?.trim() || 'NORMAL').toUpperCase();
    const store =
      databaseUrl === undefined ? `sqlite (embedded, WAL, synchronous=${synchronous})` : 'postgres';
    console.log(`Server on ${baseUrl}, store ${store}. Measuring…`);
    const routes: [Route, Route] = [
      { name: 'GET /healthz', url: `${baseUrl}/healthz`, headers: {} },
      {
        name: 'GET /api/v1/components/{id}',
        url: componentUrl,
        headers: { authorization: `Bearer ${adminToken}` },
      },
    ];
    const busy = loadavg()[0] ?? 0;
    if (busy > 0.5) {
      console.log(
        `Note: the machine was already busy before the run (load average ${busy.toFixed(2)}); ` +
          'expect lower and noisier figures.',
      );
    }
    printResults(
      settings,
      store,
      routes,
      await measureRoutes(routes[0], routes[1], settings, server.child.pid),
    );
  } finally {
    await cleanUp();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:api failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
