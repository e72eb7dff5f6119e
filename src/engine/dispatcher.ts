import type { CompiledStep, Facts, TemplateContext } from '../domain/index.js';

/** A target as steps see it. */
export interface TargetView {
  id: string;
  name: string;
  labels: Record<string, string>;
  facts: Facts;
}

/** One step to run on one target (or on the executor's own host when there is no target); placeholders are filled in. */
export interface StepExecution {
  deploymentId: string;
  stepRunId: string;
  step: CompiledStep;
  target?: TargetView;
  /** What the step's placeholders were filled from (also exported to commands as SLIPWAY_* variables). */
  context: TemplateContext;
  signal: AbortSignal;
}

/** A line of step output. */
export interface StepOutputLine {
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

/** How a step ended. */
export interface StepOutcome {
  succeeded: boolean;
  exitCode?: number;
  message: string;
  durationMilliseconds: number;
}

/**
 * Where automated steps run. The engine records a step's start, hands it to a dispatcher,
 * and records the outcome; it never runs commands itself.
 */
export interface StepDispatcher {
  /** Step types this dispatcher can run. */
  readonly types: readonly string[];
  execute(execution: StepExecution, onOutput: (lines: StepOutputLine[]) => void): Promise<StepOutcome>;
}
