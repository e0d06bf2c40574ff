/** The files of a run folder, by role: written by render/write.ts, read by `verify` and `report`. */
export const RUN_FILES = {
  report: 'report.json',
  envelope: 'report.dsse.json',
  summary: 'summary.md',
  junit: 'junit.xml',
} as const;
