import { setTimeout as sleep } from 'node:timers/promises';
import type { OutputLine, StepResult } from './shell.js';

/** What an HTTP check asks of a URL. */
export interface HttpCheckInvocation {
  url: string;
  expectStatus: number;
  bodyContains?: string;
  /** Further attempts after the first one fails. */
  retries: number;
  intervalMilliseconds: number;
  /** Timeout of each attempt. */
  timeoutMilliseconds: number;
}

/** Calls a URL until it answers as expected or the attempts run out, reporting each attempt. */
export async function runHttpCheck(
  invocation: HttpCheckInvocation,
  onLine: (line: OutputLine) => void,
  signal?: AbortSignal,
): Promise<StepResult> {
  const started = performance.now();
  const attempts = invocation.retries + 1;
  let lastProblem = 'no attempt was made';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (signal?.aborted === true) break;
    try {
      const response = await fetch(invocation.url, {
        signal:
          signal === undefined
            ? AbortSignal.timeout(invocation.timeoutMilliseconds)
            : AbortSignal.any([signal, AbortSignal.timeout(invocation.timeoutMilliseconds)]),
        redirect: 'manual',
      });
      const body = await response.text();
      const statusMatches = response.status === invocation.expectStatus;
      const bodyMatches = invocation.bodyContains === undefined || body.includes(invocation.bodyContains);
      if (statusMatches && bodyMatches) {
        onLine({
          stream: 'system',
          text: `attempt ${attempt}/${attempts}: ${invocation.url} answered ${response.status} as expected`,
        });
        return {
          succeeded: true,
          message: `${invocation.url} answered ${response.status}.`,
          durationMilliseconds: Math.round(performance.now() - started),
        };
      }
      lastProblem = statusMatches
        ? `the body did not contain "${invocation.bodyContains ?? ''}"`
        : `status ${response.status}, expected ${invocation.expectStatus}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    onLine({ stream: 'system', text: `attempt ${attempt}/${attempts}: ${invocation.url}: ${lastProblem}` });
    if (attempt < attempts) {
      try {
        await sleep(invocation.intervalMilliseconds, undefined, signal === undefined ? {} : { signal });
      } catch {
        break;
      }
    }
  }
  return {
    succeeded: false,
    message: `${invocation.url} did not answer as expected after ${attempts} attempt(s): ${lastProblem}.`,
    durationMilliseconds: Math.round(performance.now() - started),
  };
}
