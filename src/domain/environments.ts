/** The tiers of controlled environments, from the least to the most protected. */
export const Tier = {
  development: 'development',
  integration: 'integration',
  test: 'test',
  staging: 'staging',
  live: 'live',
} as const;
export type Tier = (typeof Tier)[keyof typeof Tier];
export const tiers = Object.values(Tier);

/** Where a deployment lands inside an environment. */
export const TargetKind = {
  host: 'host',
  cluster: 'cluster',
  site: 'site',
  tenant: 'tenant',
} as const;
export type TargetKind = (typeof TargetKind)[keyof typeof TargetKind];
export const targetKinds = Object.values(TargetKind);

/** A typed fact about a target: reported by its agent or declared for physical places. */
export type FactValue = string | number | boolean;
export type Facts = Record<string, FactValue>;
