import { NotFoundError } from '../../domain/index.js';
import { githubSource } from './github.js';
import { gitlabSource } from './gitlab.js';
import type { TriggerSource } from './source.js';

export { GitHubHeader, githubSource } from './github.js';
export { GitLabHeader, gitlabSource } from './gitlab.js';
export type { InboundRequest, SourcePush, TriggerSource, Verification } from './source.js';

/** The inbound webhook sources, by the name their webhook URL uses. */
export const triggerSources = {
  github: githubSource,
  gitlab: gitlabSource,
} as const satisfies Record<string, TriggerSource>;

/** The name of an inbound webhook source. */
export type TriggerSourceName = keyof typeof triggerSources;

/** Every source name, for routes and schemas. */
export const triggerSourceNames = Object.keys(triggerSources) as TriggerSourceName[];

/** The source of a name, or `not_found`. */
export function triggerSource(name: string): TriggerSource {
  if (!Object.hasOwn(triggerSources, name)) throw new NotFoundError('webhook source', name);
  return triggerSources[name as TriggerSourceName];
}
