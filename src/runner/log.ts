import pino, { type Logger } from 'pino';

/** Structured run log (`run.log` in the run folder); never written to stdout, so `--json` output stays clean. */
export function openRunLog(path: string): Logger {
  return pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: path, sync: true, mkdir: true }));
}
