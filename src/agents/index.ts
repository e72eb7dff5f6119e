export { LocalStepDispatcher } from './local-dispatcher.js';
