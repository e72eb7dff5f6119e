import { spawn } from 'node:child_process';
import { LineSplitter } from './output-lines.js';

/** What a shell step runs. */
export interface ShellInvocation {
  command: string;
  env?: Record<string, string>;
  workingDirectory?: string;
  timeoutMilliseconds: number;
}

/** How a step ended. */
export interface StepResult {
  succeeded: boolean;
  exitCode?: number;
  message: string;
  durationMilliseconds: number;
}

/** A line of step output and the stream it came from. */
export interface OutputLine {
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

/**
 * Runs a command with /bin/sh in its own process group, streaming output line by line. On
 * timeout or abort the whole group is killed, so no child process outlives its step.
 */
export function runShell(
  invocation: ShellInvocation,
  onLine: (line: OutputLine) => void,
  signal?: AbortSignal,
): Promise<StepResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', invocation.command], {
        cwd: invocation.workingDirectory,
        env: { ...process.env, ...invocation.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      resolve({
        succeeded: false,
        message: `Could not start the command: ${String(error)}`,
        durationMilliseconds: 0,
      });
      return;
    }
    const stdout = new LineSplitter((text) => onLine({ stream: 'stdout', text }));
    const stderr = new LineSplitter((text) => onLine({ stream: 'stderr', text }));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    let stopReason: string | undefined;
    const killGroup = (reason: string): void => {
      stopReason ??= reason;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group already exited.
        }
      }
    };
    const timer = setTimeout(
      () => killGroup(`timed out after ${invocation.timeoutMilliseconds} ms`),
      invocation.timeoutMilliseconds,
    );
    const onAbort = (): void => killGroup('was stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      stopReason ??= `could not start: ${error.message}`;
    });
    child.on('close', (code, killSignal) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stdout.end();
      stderr.end();
      const durationMilliseconds = Math.round(performance.now() - started);
      if (stopReason !== undefined) {
        resolve({
          succeeded: false,
          ...(code !== null && { exitCode: code }),
          message: `The command ${stopReason}.`,
          durationMilliseconds,
        });
        return;
      }
      const exitCode = code ?? 128;
      resolve({
        succeeded: exitCode === 0,
        exitCode,
        message:
          exitCode === 0
            ? 'The command succeeded.'
            : `The command exited with ${exitCode}${killSignal ? ` (${killSignal})` : ''}.`,
        durationMilliseconds,
      });
    });
  });
}
