export { type Advance, advanceDeployment } from './advance.js';
export { DeploymentCommands, type DeploymentRequest } from './commands.js';
export { ContextLoader, type DeploymentContext } from './context.js';
export type { StepDispatcher, StepExecution, StepOutcome, StepOutputLine, TargetView } from './dispatcher.js';
export { Engine, type EngineOptions } from './engine.js';
