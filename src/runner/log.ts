import pino, { type Logger } from 'pino';

/** The run log's name in a run folder. */
export const RUN_LOG_FILE = 'run.log';

/** Structured run log (`run.log` in the run folder); never written to stdout, so `--json` output stays clean. */
export function openRunLog(path: string): Logger {
  return pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: path, sync: true, mkdir: true }));
}
