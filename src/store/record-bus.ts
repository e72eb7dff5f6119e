import { EventEmitter } from 'node:events';
import type { DeploymentEvent } from '../domain/index.js';

/**
 * Tells the rest of this process what was just committed: new record events (for live
 * streams) and new due work (to wake the engine). Listeners run after the commit.
 */
export class RecordBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open live stream is a listener; there may be many.
    this.emitter.setMaxListeners(0);
  }

  /** Publishes committed events. */
  publish(events: readonly DeploymentEvent[]): void {
    if (events.length > 0) this.emitter.emit('events', events);
  }

  /** Signals that engine work became due. */
  wake(): void {
    this.emitter.emit('wake');
  }

  /** Subscribes to committed events; returns the unsubscribe function. */
  onEvents(listener: (events: readonly DeploymentEvent[]) => void): () => void {
    this.emitter.on('events', listener);
    return () => this.emitter.off('events', listener);
  }

  /** Subscribes to wake-ups; returns the unsubscribe function. */
  onWake(listener: () => void): () => void {
    this.emitter.on('wake', listener);
    return () => this.emitter.off('wake', listener);
  }
}
