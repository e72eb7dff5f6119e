import type { Principal } from '../domain/index.js';
import type { SlipwayClient } from './client.js';

/** Names of principals by id, for showing who did what instead of bare ids. */
export class PrincipalNames {
  private constructor(private readonly names: ReadonlyMap<string, string>) {}

  /**
   * Reads the principals when the caller may list them (admins); otherwise ids stay ids.
   * With --json nothing is looked up, since the raw answer is printed anyway.
   */
  static async load(client: SlipwayClient, needed: boolean): Promise<PrincipalNames> {
    if (!needed) return new PrincipalNames(new Map());
    try {
      const { items } = await client.get<{ items: Principal[] }>('/principals');
      return new PrincipalNames(new Map(items.map((principal) => [principal.id, principal.name])));
    } catch {
      // Not an admin: at least the caller's own name is known.
      try {
        const self = await client.get<Principal>('/whoami');
        return new PrincipalNames(new Map([[self.id, self.name]]));
      } catch {
        return new PrincipalNames(new Map());
      }
    }
  }

  /** The principal's name, or its id when the name is unknown. */
  of(id: string | undefined): string {
    if (id === undefined) return '';
    return this.names.get(id) ?? id;
  }
}
