import { parentPort } from 'node:worker_threads';
import { firstLine } from '../errors.js';
import { failedReply, runJob, transferables, type Job, type Reply } from './oracle.js';

/*
 * A worker thread of the oracle pool (oracle-pool.ts): runs one job at a time (a case's oracle answer, its input digest
 * alone, or the digest of the only outputs its rules admit) and hands the answer's buffers back without copying them.
 */
export interface JobMessage {
  id: number;
  job: Job;
}
export type WorkerMessage = { ready: true } | { id: number; reply: Reply };

const port = parentPort;
if (port) {
  port.on('message', (m: JobMessage) => {
    const reply = runJob(m.job);
    try {
      port.postMessage({ id: m.id, reply } satisfies WorkerMessage, transferables(reply));
    } catch (err) {
      // a buffer that cannot move is copied instead
      try {
        port.postMessage({ id: m.id, reply } satisfies WorkerMessage);
      } catch {
        port.postMessage({ id: m.id, reply: failedReply(m.job, `the oracle cannot hand its answer over: ${firstLine(err)}`) } satisfies WorkerMessage);
      }
    }
  });
  port.postMessage({ ready: true } satisfies WorkerMessage);
}
