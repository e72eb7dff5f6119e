/** Roles a principal may hold; a principal may hold several. */
export const Role = {
  deploymentManager: 'deployment-manager',
  practitioner: 'practitioner',
  serviceOwner: 'service-owner',
  changeAuthority: 'change-authority',
  auditor: 'auditor',
  agent: 'agent',
  admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const roles = Object.values(Role);

/** People sign in; systems (CI, change tools, agents) call the API with tokens. */
export const PrincipalKind = { person: 'person', system: 'system' } as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];
export const principalKinds = Object.values(PrincipalKind);

const humanReaders = [
  Role.deploymentManager,
  Role.practitioner,
  Role.serviceOwner,
  Role.changeAuthority,
  Role.auditor,
  Role.admin,
] as const;

/**
 * What each action needs. Every route names exactly one action; this table is the
 * single place that says which roles may perform it.
 */
export const permissions = {
  'catalog.read': humanReaders,
  'catalog.write': [Role.deploymentManager, Role.serviceOwner, Role.admin],
  'version.register': [Role.deploymentManager, Role.serviceOwner, Role.practitioner, Role.admin],
  'environment.read': humanReaders,
  'environment.write': [Role.deploymentManager, Role.admin],
  'target.write': [Role.deploymentManager, Role.practitioner, Role.admin],
  'audit.read': [Role.auditor, Role.deploymentManager, Role.admin],
  'model.read': humanReaders,
  'model.write': [Role.deploymentManager, Role.admin],
  'deployment.read': humanReaders,
  'deployment.request': [Role.deploymentManager, Role.serviceOwner, Role.practitioner, Role.admin],
  'deployment.cancel': [Role.deploymentManager, Role.serviceOwner, Role.admin],
  'deployment.promote': [Role.deploymentManager, Role.serviceOwner, Role.admin],
  'deployment.rollback': [Role.deploymentManager, Role.practitioner, Role.admin],
  'work.decide': [
    Role.deploymentManager,
    Role.practitioner,
    Role.serviceOwner,
    Role.changeAuthority,
    Role.admin,
  ],
  'record.verify': [Role.auditor, Role.deploymentManager, Role.admin],
  'subscription.manage': humanReaders,
  'incident.read': humanReaders,
  'incident.write': [Role.deploymentManager, Role.practitioner, Role.serviceOwner, Role.admin],
  'trigger.read': humanReaders,
  'trigger.write': [Role.deploymentManager, Role.admin],
  'webhook.read': humanReaders,
  'webhook.write': [Role.deploymentManager, Role.admin],
  'principal.manage': [Role.admin],
  'schedule.read': humanReaders,
  'deployment.plan': [Role.deploymentManager, Role.serviceOwner, Role.admin],
  'window.write': [Role.deploymentManager, Role.admin],
  'change.read': humanReaders,
  'change.write': [Role.deploymentManager, Role.serviceOwner, Role.admin],
  'change.authorize': [Role.changeAuthority, Role.admin],
  'policy.write': [Role.deploymentManager, Role.admin],
  'self.read': [...humanReaders, Role.agent],
} as const satisfies Record<string, readonly Role[]>;
export type Action = keyof typeof permissions;

/** Whether any of the given roles may perform the action. */
export function isAllowed(action: Action, held: readonly Role[]): boolean {
  const allowed: readonly Role[] = permissions[action];
  return held.some((role) => allowed.includes(role));
}
