import { defaultCheckInterval, defaultCheckTimeout, parseDuration } from '../domain/index.js';
import type { StepDispatcher, StepExecution, StepOutcome, StepOutputLine } from '../engine/index.js';
import { runHttpCheck } from './steps/http-check.js';
import { runShell } from './steps/shell.js';

function milliseconds(text: string): number {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.value : 0;
}

/** The deployment's context as SLIPWAY_* environment variables for commands. */
function contextVariables(execution: StepExecution): Record<string, string> {
  const { context } = execution;
  const variables: Record<string, string | undefined> = {
    SLIPWAY_DEPLOYMENT_ID: execution.deploymentId,
    SLIPWAY_COMPONENT: context.component,
    SLIPWAY_VERSION: context.version,
    SLIPWAY_ENVIRONMENT: context.environment,
    SLIPWAY_STAGE: context.stage,
    SLIPWAY_TARGET: context.target?.name,
  };
  return Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * Runs automated steps in this process, on the server's own host: the single-machine
 * default until agents take over execution. Step definitions arrive with their
 * placeholders already filled in.
 */
export class LocalStepDispatcher implements StepDispatcher {
  readonly types = ['shell', 'http-check'] as const;

  async execute(execution: StepExecution, onOutput: (lines: StepOutputLine[]) => void): Promise<StepOutcome> {
    const step = execution.step.step;
    const emit = (line: StepOutputLine): void => onOutput([line]);
    switch (step.type) {
      case 'shell':
        return runShell(
          {
            command: step.command,
            env: { ...contextVariables(execution), ...step.env },
            ...(step.workingDir !== undefined && { workingDirectory: step.workingDir }),
            timeoutMilliseconds: execution.step.timeoutMilliseconds,
          },
          emit,
          execution.signal,
        );
      case 'http-check':
        return runHttpCheck(
          {
            url: step.url,
            expectStatus: step.expect?.status ?? 200,
            ...(step.expect?.bodyContains !== undefined && { bodyContains: step.expect.bodyContains }),
            retries: step.retries ?? 0,
            intervalMilliseconds: milliseconds(step.interval ?? defaultCheckInterval),
            timeoutMilliseconds: milliseconds(step.timeout ?? defaultCheckTimeout),
          },
          emit,
          execution.signal,
        );
      default:
        return {
          succeeded: false,
          message: `This executor cannot run ${step.type} steps.`,
          durationMilliseconds: 0,
        };
    }
  }
}
