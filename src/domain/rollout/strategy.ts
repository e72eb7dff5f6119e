import type { TSchema } from '@sinclair/typebox';

/*
 * The seam for rollout strategies. A strategy is one file in this folder exporting a
 * RolloutStrategy: its settings schema for the model, extra checks on those settings, and a
 * pure planner that turns targets into waves with the gates between them. The engine runs
 * the waves; it never needs to know which strategy produced them.
 */

/** A target as a planner sees it: a name and, for strategies that group by them, labels. */
export interface RolloutTarget {
  name: string;
  labels?: Readonly<Record<string, string>>;
}

/** What must happen between one wave and the next. */
export interface WaveGate {
  /** The stage's acceptance checks must pass on the wave's targets. */
  verify: boolean;
  /** A person must approve the next wave. */
  approval: boolean;
  description: string;
}

/** Targets that execute together. */
export interface RolloutWave {
  /** Position of the wave, from 0. */
  index: number;
  /** Target names, in the order given to the planner. */
  targets: string[];
  /** The gate before the next wave; absent after the last wave and where none is needed. */
  gateAfter?: WaveGate;
}

/** The waves a strategy plans for a set of targets. */
export interface RolloutPlan {
  strategy: string;
  /** One line saying how the rollout proceeds. */
  summary: string;
  waves: RolloutWave[];
  /** At most this many targets execute at the same moment within a wave; absent: no limit. */
  parallelism?: number;
}

/** A problem with a strategy's settings, located by a JSON pointer within the settings. */
export interface RolloutSettingsProblem {
  path: string;
  message: string;
}

/** Everything Slipway must know about one rollout strategy. */
export interface RolloutStrategy<Settings extends { strategy: string }> {
  /** The `strategy` written in the model. */
  readonly strategy: Settings['strategy'];
  /** The schema fragment of this strategy's settings. */
  readonly schema: TSchema;
  /** Rules the schema cannot express, e.g. waves that must grow. */
  check(settings: Settings): RolloutSettingsProblem[];
  /** One line describing the settings. */
  describe(settings: Settings): string;
  /** Splits targets into waves; pure and deterministic for the same input. */
  plan(settings: Settings, targets: readonly RolloutTarget[]): RolloutPlan;
}
