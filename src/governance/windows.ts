import {
  type CompiledWindow,
  compileWindow,
  occurrencesOf,
  type PlanningScope,
  type WindowDefinition,
  type WindowKind,
  type WindowOccurrence,
} from '../domain/index.js';
import type { NewWindow, Page, PageRequest, Store, StoredWindow } from '../store/index.js';

/** A window as the API shows it: its definition as written, with its id and who keeps it. */
export type WindowView = WindowDefinition & {
  id: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
};

/** One occurrence of a window as the API and the calendar show it. */
export interface OccurrenceView {
  window: string;
  kind: WindowKind;
  /** UTC instants, [start, end). */
  start: string;
  end: string;
  /** Wall-clock times in the window's zone. */
  localStart: string;
  localEnd: string;
  timeZone: string;
  scope: { environment?: string; service?: string };
  emergencyAllowed: boolean;
}

/** Which windows a list or calendar asks for, by name. */
export interface WindowQuery {
  kind?: WindowKind;
  environment?: string;
  service?: string;
}

/** The API view of a stored window. */
export function windowView(stored: StoredWindow): WindowView {
  return {
    id: stored.id,
    ...stored.definition,
    createdAt: stored.createdAt,
    createdBy: stored.createdBy,
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
  };
}

/** The API view of an occurrence. */
export function occurrenceView(occurrence: WindowOccurrence): OccurrenceView {
  return {
    window: occurrence.name,
    kind: occurrence.kind,
    start: new Date(occurrence.interval.start).toISOString(),
    end: new Date(occurrence.interval.end).toISOString(),
    localStart: occurrence.localStart,
    localEnd: occurrence.localEnd,
    timeZone: occurrence.timeZone,
    scope: { ...occurrence.window.scope },
    emergencyAllowed: occurrence.window.emergencyAllowed,
  };
}

/**
 * Maintenance windows and freeze periods: validated with the domain's rules, their scope
 * checked against the catalog and environments, names unique.
 */
export class WindowCommands {
  constructor(private readonly store: Store) {}

  private async resolve(value: unknown): Promise<NewWindow> {
    const compiled = compileWindow(value);
    const { environment, service } = compiled.scope;
    const environmentId =
      environment === undefined ? undefined : (await this.store.environments.get(environment)).id;
    const serviceId = service === undefined ? undefined : (await this.store.catalog.getService(service)).id;
    return {
      definition: compiled.definition,
      ...(environmentId !== undefined && { environmentId }),
      ...(serviceId !== undefined && { serviceId }),
    };
  }

  /** Creates a maintenance window or freeze; fails with every problem of its definition. */
  async create(value: unknown, actorId: string): Promise<WindowView> {
    return windowView(await this.store.windows.create(await this.resolve(value), actorId));
  }

  /** Replaces a window's definition. */
  async update(reference: string, value: unknown, actorId: string): Promise<WindowView> {
    return windowView(await this.store.windows.update(reference, await this.resolve(value), actorId));
  }

  /** Deletes a window. */
  async delete(reference: string, actorId: string): Promise<void> {
    await this.store.windows.delete(reference, actorId);
  }

  /** Shows a window by id or name. */
  async get(reference: string): Promise<WindowView> {
    return windowView(await this.store.windows.get(reference));
  }

  /** Lists windows, by kind and by the environment or service they are scoped to. */
  async list(query: WindowQuery, page: PageRequest): Promise<Page<WindowView>> {
    const environmentId =
      query.environment === undefined ? undefined : (await this.store.environments.get(query.environment)).id;
    const serviceId =
      query.service === undefined ? undefined : (await this.store.catalog.getService(query.service)).id;
    const listed = await this.store.windows.list(
      {
        ...(query.kind !== undefined && { kind: query.kind }),
        ...(environmentId !== undefined && { environmentId }),
        ...(serviceId !== undefined && { serviceId }),
      },
      page,
    );
    return { ...listed, items: listed.items.map(windowView) };
  }

  /** The store's clock, for ranges that default to now. */
  now(): number {
    return this.store.now().getTime();
  }

  /** Every window, compiled for occurrence, gate and conflict computations. */
  async compiled(): Promise<CompiledWindow[]> {
    return (await this.store.windows.all()).map((stored) => compileWindow(stored.definition));
  }

  /**
   * The occurrences in [from, to) of the windows that apply to a calendar scope (a window
   * scoped elsewhere is left out; a global one always applies).
   */
  async occurrences(from: number, to: number, query: WindowQuery = {}): Promise<WindowOccurrence[]> {
    const scope: PlanningScope = {
      ...(query.environment !== undefined && { environment: query.environment }),
      ...(query.service !== undefined && { services: [query.service] }),
    };
    const windows = (await this.compiled()).filter(
      (window) => query.kind === undefined || window.kind === query.kind,
    );
    return occurrencesOf(windows, from, to, scope);
  }
}
