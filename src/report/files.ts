/** The files of a run folder, by role: written by render/write.ts, read by `verify` and `report`. */
export const RUN_FILES = {
  report: 'report.json',
  envelope: 'report.dsse.json',
  summary: 'summary.md',
  junit: 'junit.xml',
  /** the benchmark chart, written when the run measured a benchmark */
  chart: 'benchmarks.svg',
  /** the report as one self-contained web page (render/html.ts): verdict, op × dtype heat map, failures, margins */
  html: 'report.html',
  /** `run --baseline`: the comparison with the baseline run, as Markdown */
  comparison: 'comparison.md',
} as const;
