import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the write-ahead log into the database file. */
const checkpointIntervalMilliseconds = 200;

/**
 * The WAL size, in pages, at which the main connection checkpoints by itself: a safety net
 * for when the worker falls behind or has stopped. SQLite's own default is 1000 pages.
 */
export const fallbackAutocheckpointPages = 10_000;

/** How long closing the store waits for the worker to close its connection. */
const closeTimeoutMilliseconds = 5000;

// Slots of the state shared with the worker.
const starting = 0;
const open = 1;
const cancelled = 2;
const closed = 3;

/*
 * The worker: its own connection to the same file, with the same synchronous setting (a
 * checkpoint's fsyncs follow the checkpointing connection's setting). PASSIVE checkpoints
 * never wait for, and never block, the main connection's readers and writer.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
if (Atomics.compareExchange(state, 0, ${starting}, ${open}) === ${starting}) {
  const Database = require(workerData.driver);
  let database;
  try {
    database = new Database(workerData.filename, { fileMustExist: true });
    database.pragma('synchronous = ' + workerData.synchronous);
  } catch {
    database = undefined;
  }
  const timer = setInterval(() => {
    try {
      database?.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A failed checkpoint is retried at the next interval; the main connection's fallback bounds the log.
    }
  }, workerData.intervalMilliseconds);
  parentPort.on('message', () => {
    clearInterval(timer);
    try {
      database?.close();
    } finally {
      Atomics.store(state, 0, ${closed});
      Atomics.notify(state, 0);
      parentPort.close();
    }
  });
}
`;

/**
 * Checkpoints the embedded store's write-ahead log from a worker thread. Left to itself,
 * SQLite checkpoints inside whichever commit takes the log past wal_autocheckpoint, on the
 * event loop, with an fsync of the log and one of the database; on a busy disk that stalls
 * every deployment the engine is advancing. Commits and what they survive are unchanged:
 * only the copying of committed pages into the database file moves to another thread.
 */
export class SqliteCheckpointer {
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private stopped = false;
  private exited = false;

  /** Starts checkpointing; `onFailure` runs if the worker stops before it was closed. */
  constructor(filename: string, synchronous: 'NORMAL' | 'FULL', onFailure: () => void) {
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        state: this.state.buffer,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        filename,
        synchronous,
        intervalMilliseconds: checkpointIntervalMilliseconds,
      },
    });
    this.worker.unref();
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      this.exited = true;
      if (!this.stopped) onFailure();
    });
  }

  /**
   * Stops the worker and waits (briefly, synchronously) until its connection is closed, so
   * that the main connection closes last and SQLite removes the log on a clean stop.
   */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (Atomics.compareExchange(this.state, 0, starting, cancelled) !== starting) {
      this.worker.postMessage('close');
      const deadline = Date.now() + closeTimeoutMilliseconds;
      while (!this.exited && Atomics.load(this.state, 0) === open && Date.now() < deadline) {
        Atomics.wait(this.state, 0, open, deadline - Date.now());
      }
    }
    void this.worker.terminate();
  }
}
