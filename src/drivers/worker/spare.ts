import type { SpareSlot, StartedWorker } from '../types.js';

/**
 * One worker started ahead of need (its framework imported, its hello checked, no device opened), so that a session
 * lost to a crash or a hang is replaced in milliseconds rather than the seconds a framework import takes. The device
 * is opened only when the spare takes over: a device that admits one process at a time is never held twice.
 * Whoever runs the sessions owns the spare and closes it at the end.
 */
export class SpareWorker implements SpareSlot {
  private spare: Promise<StartedWorker | null> | null = null;
  private closed = false;

  /** The spare, when one was started and is still alive (it is then no longer the spare); else null. */
  async take(): Promise<StartedWorker | null> {
    const pending = this.spare;
    this.spare = null;
    const worker = pending ? await pending : null;
    if (worker && !worker.alive) {
      await worker.close();
      return null;
    }
    return worker;
  }

  /** Starts a spare unless one is there; a spare that cannot start is simply not there (the next open says why). */
  refill(start: () => Promise<StartedWorker>): void {
    if (this.closed || this.spare) return;
    this.spare = start().catch(() => null);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = await this.take();
    await worker?.close();
  }
}
