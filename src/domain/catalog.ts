import { ConflictError, type FieldProblem } from './errors.js';

/** What a component is: the practice moves far more than software. */
export const ComponentKind = {
  software: 'software',
  infrastructure: 'infrastructure',
  hardware: 'hardware',
  documentation: 'documentation',
  licence: 'licence',
  data: 'data',
  process: 'process',
} as const;
export type ComponentKind = (typeof ComponentKind)[keyof typeof ComponentKind];
export const componentKinds = Object.values(ComponentKind);

/** What a part listed in a version's manifest is. */
export const ManifestPartKind = {
  file: 'file',
  device: 'device',
  document: 'document',
  licenceKey: 'licence-key',
  dataset: 'dataset',
  other: 'other',
} as const;
export type ManifestPartKind = (typeof ManifestPartKind)[keyof typeof ManifestPartKind];
export const manifestPartKinds = Object.values(ManifestPartKind);

/** The identity-bearing fields of a version registration. */
export interface VersionIdentity {
  version: string;
  digest: string;
  size: number;
}

/**
 * Decides what registering a version means given what the catalog already holds:
 * a new version is created, a repeat with the same digest is idempotent, and a
 * repeat with another digest is refused because versions are immutable.
 */
export function decideVersionRegistration(
  existing: VersionIdentity | undefined,
  incoming: VersionIdentity,
  componentName: string,
): 'create' | 'unchanged' {
  if (existing === undefined) return 'create';
  if (existing.digest === incoming.digest && existing.size === incoming.size) return 'unchanged';
  throw new ConflictError(
    `Version ${incoming.version} of ${componentName} is already registered with digest ${existing.digest} and size ${existing.size}; ` +
      'versions are immutable, so register the new content under a new version string.',
    {
      version: incoming.version,
      registeredDigest: existing.digest,
      offeredDigest: incoming.digest,
      registeredSize: existing.size,
      offeredSize: incoming.size,
    },
    'version_conflict',
  );
}

/** A manifest part as offered at registration. */
export interface ManifestPartInput {
  name: string;
  digest?: string;
  serialNumber?: string;
}

/**
 * Rules a manifest must follow beyond its schema: every part is identified by a digest
 * or a serial number, and part names are unique so verification can name what is missing.
 */
export function checkManifest(parts: readonly ManifestPartInput[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  parts.forEach((part, index) => {
    if (part.digest === undefined && part.serialNumber === undefined) {
      problems.push({ path: `/manifest/${index}`, message: 'must have a digest or a serialNumber' });
    }
    if (seen.has(part.name)) {
      problems.push({ path: `/manifest/${index}/name`, message: `duplicates the part name "${part.name}"` });
    }
    seen.add(part.name);
  });
  return problems;
}
