import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The built `slipway` binary that tests run as users do. */
export const slipwayBinary = join(root, 'dist/src/cli/main.js');

function newestSourceChange(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceChange(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the binary when it is missing or older than a source file. `npm test` builds right
 * before vitest, so under it a present binary is current.
 */
export function ensureBuilt(): void {
  if (existsSync(slipwayBinary)) {
    if (process.env.npm_lifecycle_event === 'test') return;
    if (statSync(slipwayBinary).mtimeMs >= newestSourceChange(join(root, 'src'))) return;
  }
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (error) {
    // Type errors elsewhere still emit JavaScript; the typecheck is its own gate.
    if (!existsSync(slipwayBinary)) throw error;
  }
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
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

const running = new Set<ChildProcess>();
// Last resort: no server outlives the test process, even when a test is interrupted.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A real `slipway server` process listening on a loopback port. */
export class ServerProcess {
  /** Everything the process wrote to standard error. */
  readonly stderr: string[] = [];
  private readonly exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    /** The server's base URL, e.g. http://127.0.0.1:41234. */
    readonly url: string,
  ) {
    running.add(child);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.stdout?.resume();
    this.exit = new Promise((resolveExit) => {
      child.once('exit', (code) => {
        running.delete(child);
        resolveExit(code);
      });
    });
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts `slipway server` with these environment variables (SLIPWAY_HOST and SLIPWAY_PORT
   * are set here) and waits until /readyz answers; fails with the server's own output when
   * it exits or does not become ready in time.
   */
  static async start(env: Record<string, string>, readyTimeoutMilliseconds = 20_000): Promise<ServerProcess> {
    const port = await freePort();
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => !entry[0].startsWith('SLIPWAY_') && entry[1] !== undefined,
      ),
    );
    const child = spawn(process.execPath, [slipwayBinary, 'server'], {
      env: { ...inherited, ...env, SLIPWAY_HOST: '127.0.0.1', SLIPWAY_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, `http://127.0.0.1:${port}`);
    let exitCode: number | null | undefined;
    void server.exit.then((code) => {
      exitCode = code;
    });
    const deadline = Date.now() + readyTimeoutMilliseconds;
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(
          `slipway server exited with ${exitCode} before it was ready:\n${server.stderr.join('')}`,
        );
      try {
        const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (response.status === 200) return server;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await server.kill();
        throw new Error(
          `slipway server was not ready within ${readyTimeoutMilliseconds} ms:\n${server.stderr.join('')}`,
        );
      }
      await sleep(25);
    }
  }

  /** kill -9: the process ends at once, wherever it was; resolves when it is gone. */
  async kill(): Promise<void> {
    if (!running.has(this.child)) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}
