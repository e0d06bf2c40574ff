import { z } from 'zod';
import { EnvelopeSchema } from './envelope.js';
import { FingerprintSchema } from '../device/device.js';
import { StatusSchema, STATUSES } from '../judge/result.js';
import { CaseResultSchema } from '../runner/result.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { BenchmarksSchema } from './benchmarks.js';
import { BenchScaleSchema } from '../workload/bench.js';
import { USER_SEED_PATTERN } from '../tensor/prng.js';

/** Bumped on any change a reader of report.json must know about; verify rejects versions it does not know. */
export const REPORT_SCHEMA_VERSION = 6;

export const VERDICT_STATUSES = ['CERTIFIED', 'NOT_CERTIFIED', 'INCOMPLETE'] as const;
export const VerdictStatusSchema = z.enum(VERDICT_STATUSES);
export type VerdictStatus = z.infer<typeof VerdictStatusSchema>;

const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 digest in lowercase hex');
const TimestampSchema = z.iso.datetime({ offset: true });

export const HarnessSchema = z.object({
  name: z.literal('accelcert'),
  version: z.string(),
  /** commit of the accelcert checkout that ran, when it ran from a git tree */
  gitCommit: z.string().nullable(),
});

export const HostSchema = z.object({
  hostname: z.string(),
  os: z.object({ platform: z.string(), release: z.string(), arch: z.string() }),
  cpu: z.object({ model: z.string(), cores: z.number().int().nonnegative() }),
  memoryBytes: z.number().int().nonnegative(),
  node: z.string(),
});
export type Host = z.infer<typeof HostSchema>;

export const TargetSchema = z.object({
  /** driver name as given to `--driver`; recorded so that a failing case can be rerun alone */
  driver: z.string(),
  /** device string as given to `--device` (or the driver's default) */
  device: z.string(),
  fingerprint: FingerprintSchema,
});
export type Target = z.infer<typeof TargetSchema>;

export const SuiteRefSchema = z.object({
  name: z.string(),
  version: z.string(),
  digest: Sha256HexSchema,
  /** number of cases in the whole suite (not only those selected) */
  cases: z.number().int().nonnegative(),
});
export type SuiteRef = z.infer<typeof SuiteRefSchema>;

export const ShardSchema = z.object({ index: z.number().int().positive(), count: z.number().int().positive() });

/** What narrowed the run below the profile; empty lists and a null shard mean "the whole profile". */
export const SelectionSchema = z.object({
  suites: z.array(z.string()),
  filters: z.array(z.string()),
  dtypes: z.array(DTypeSchema),
  shard: ShardSchema.nullable(),
  /** number of cases the selection held */
  cases: z.number().int().nonnegative(),
  /**
   * the user seed of `--seed`, mixed into every case's inputs (see docs/report-format.md); null: none, every case
   * drew its inputs from its own seed. Absent in reports of accelcert versions without `--seed` (read as null).
   */
  seed: z
    .string()
    .regex(USER_SEED_PATTERN, "1 to 64 ASCII letters, digits, '.', '_' or '-'")
    .nullable()
    .optional(),
  /**
   * the bench scale whose benchmarks the profile required (`--bench-scale`); null when the profile has no benchmarks.
   * Absent in reports of accelcert versions without benchmarks (read as null).
   */
  benchScale: BenchScaleSchema.nullable().optional(),
});
export type Selection = z.infer<typeof SelectionSchema>;

export const ProfileRefSchema = z.object({
  name: z.string(),
  /** number of cases the profile requires, over the suites this accelcert ships */
  requiredCases: z.number().int().nonnegative(),
});

/**
 * The model a `run --graph FILE` certified instead of a profile: the file as given, its sha256 (of the bytes copied into
 * the run folder as graph.json, which verify checks), and the model's name. Absent from a profile's run.
 */
export const GraphRefSchema = z.strictObject({
  file: z.string(),
  sha256: Sha256HexSchema,
  name: z.string(),
});
export type GraphRef = z.infer<typeof GraphRefSchema>;

/** Whether the run went to its end: a crashed or interrupted run is never certified, whatever the waivers say. */
export const RunOutcomeSchema = z.object({
  outcome: z.enum(['completed', 'interrupted', 'crashed']),
  message: z.string().nullable(),
});
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

export const WaiverSchema = z.strictObject({
  /** stable name that results refer to; defaults to W<n>, the entry's 1-based position in the file */
  id: z.string().min(1),
  /** glob over case ids */
  cases: z.string().min(1),
  /** glob over the device key (see docs/report-format.md) */
  devices: z.string().min(1),
  reason: z.string().min(1),
  url: z.url(),
});
export type Waiver = z.infer<typeof WaiverSchema>;

export const ListedWaiverSchema = WaiverSchema.extend({
  /** ids of the cases this waiver turned from fail into waived */
  matched: z.array(z.string()),
});
export type ListedWaiver = z.infer<typeof ListedWaiverSchema>;

const StatusCountsSchema = z.record(StatusSchema, z.number().int().nonnegative());
export type StatusCounts = z.infer<typeof StatusCountsSchema>;

/**
 * How much of the Core ATen opset (src/ops/core-opset.ts) the results cover: `overloads` in the opset, of which
 * `notApplicable` are not device kernels; `run`, the applicable overloads with at least one result; `passed`, those
 * whose every result passed or was waived.
 */
export const CoverageSchema = z.object({
  overloads: z.number().int().nonnegative(),
  notApplicable: z.number().int().nonnegative(),
  run: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
});
export type Coverage = z.infer<typeof CoverageSchema>;

export const SummarySchema = z.object({
  total: z.number().int().nonnegative(),
  byStatus: StatusCountsSchema,
  byFamily: z.record(z.string(), StatusCountsSchema),
  coverage: CoverageSchema,
});
export type Summary = z.infer<typeof SummarySchema>;

export const VerdictSchema = z.object({
  status: VerdictStatusSchema,
  profile: z.string(),
  reasons: z.array(z.string()),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/**
 * One shard a merged report (`accelcert merge`) was made of: its K/N and its report.dsse.json exactly as it was signed,
 * so that a reviewer can check each shard's signature and that the merged results are the shards' own.
 */
export const MergedShardSchema = z.strictObject({
  index: z.number().int().positive(),
  count: z.number().int().positive(),
  envelope: EnvelopeSchema,
});
export type MergedShard = z.infer<typeof MergedShardSchema>;

export const ReportSchema = z.strictObject({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  harness: HarnessSchema,
  /** the exact command line, one element per argument, starting with `accelcert` */
  command: z.array(z.string()),
  startedAt: TimestampSchema,
  endedAt: TimestampSchema,
  host: HostSchema,
  target: TargetSchema,
  suites: z.array(SuiteRefSchema),
  profile: ProfileRefSchema,
  /** the graph file whose cases the run executed (`run --graph`), absent for a profile's run */
  graph: GraphRefSchema.optional(),
  selection: SelectionSchema,
  run: RunOutcomeSchema,
  results: z.array(CaseResultSchema),
  /** the measured benchmarks, their figures and the peaks they are set against; null when the run had no bench case */
  benchmarks: BenchmarksSchema.nullable(),
  waivers: z.array(ListedWaiverSchema),
  /**
   * the waiver file as a waiver authority signed it (`accelcert waivers sign`), carried so that a reviewer can check who
   * granted each waiver; null when the waivers were given unsigned, or none were
   */
  signedWaivers: EnvelopeSchema.nullable(),
  /** the reviewer's signed challenge the run answered (`run --challenge`), whose seed is `selection.seed`; null: none */
  challenge: EnvelopeSchema.nullable(),
  summary: SummarySchema,
  verdict: VerdictSchema,
  /** the signed shards a merged report was made of (`accelcert merge`), in index order; null or absent: not a merged report */
  shards: z.array(MergedShardSchema).nullable().optional(),
});
export type Report = z.infer<typeof ReportSchema>;

export function emptyStatusCounts(): StatusCounts {
  const counts = {} as StatusCounts;
  for (const s of STATUSES) counts[s] = 0;
  return counts;
}
