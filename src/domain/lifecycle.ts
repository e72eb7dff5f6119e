import { ErrorCode, SlipwayError } from './errors.js';

/** The states of a deployment (practice guide table 3.3). */
export const DeploymentState = {
  requested: 'requested',
  planned: 'planned',
  awaitingAuthorization: 'awaiting-authorization',
  scheduled: 'scheduled',
  verifyingComponents: 'verifying-components',
  verifyingEnvironment: 'verifying-environment',
  executing: 'executing',
  verifyingDeployment: 'verifying-deployment',
  succeeded: 'succeeded',
  failed: 'failed',
  rollingBack: 'rolling-back',
  rolledBack: 'rolled-back',
  cancelled: 'cancelled',
  rejected: 'rejected',
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];
export const deploymentStates = Object.values(DeploymentState);

const S = DeploymentState;

/**
 * The one transition table: for each state, the states that may follow it. Nothing else
 * decides what may follow what. Cancellation and rejection are possible in every state
 * before execution; a failed deployment may still be rolled back by a person.
 */
export const transitions: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  [S.requested]: [S.planned, S.cancelled, S.rejected],
  [S.planned]: [S.awaitingAuthorization, S.scheduled, S.cancelled, S.rejected],
  [S.awaitingAuthorization]: [S.scheduled, S.cancelled, S.rejected],
  [S.scheduled]: [S.verifyingComponents, S.cancelled, S.rejected],
  [S.verifyingComponents]: [S.verifyingEnvironment, S.failed, S.cancelled, S.rejected],
  [S.verifyingEnvironment]: [S.executing, S.failed, S.cancelled, S.rejected],
  [S.executing]: [S.verifyingDeployment, S.failed, S.rollingBack],
  [S.verifyingDeployment]: [S.succeeded, S.failed, S.rollingBack],
  [S.failed]: [S.rollingBack],
  [S.rollingBack]: [S.rolledBack, S.failed],
  [S.succeeded]: [],
  [S.rolledBack]: [],
  [S.cancelled]: [],
  [S.rejected]: [],
};

/** States in which a deployment is finished: no engine work remains. */
export const terminalStates: readonly DeploymentState[] = [
  S.succeeded,
  S.failed,
  S.rolledBack,
  S.cancelled,
  S.rejected,
];

/** States in which the deployment has not yet touched any target. */
export const preExecutionStates: readonly DeploymentState[] = [
  S.requested,
  S.planned,
  S.awaitingAuthorization,
  S.scheduled,
  S.verifyingComponents,
  S.verifyingEnvironment,
];

/** Whether a state is terminal. */
export function isTerminal(state: DeploymentState): boolean {
  return terminalStates.includes(state);
}

/** Whether `to` may follow `from`. */
export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return transitions[from].includes(to);
}

/** A transition the table does not allow. */
export class InvalidTransitionError extends SlipwayError {
  constructor(from: DeploymentState, to: DeploymentState) {
    super(
      ErrorCode.invalidTransition,
      `A deployment that is ${from} cannot become ${to}` +
        (transitions[from].length === 0
          ? ' (it has finished).'
          : ` (it may become ${transitions[from].join(', ')}).`),
      { from, to, allowed: [...transitions[from]] },
    );
  }
}

/** Checks a transition against the table, failing with `invalid_transition`. */
export function assertTransition(from: DeploymentState, to: DeploymentState): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

/** The kind of movement a deployment makes. */
export const DeploymentKind = { install: 'install', upgrade: 'upgrade', removal: 'removal' } as const;
export type DeploymentKind = (typeof DeploymentKind)[keyof typeof DeploymentKind];
export const deploymentKinds = Object.values(DeploymentKind);
