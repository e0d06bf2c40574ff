import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { OutputMetrics } from '../judge/result.js';
import { failureMessage } from '../judge/describe.js';
import { statusFromOutputs } from '../judge/result.js';
import { sampleStats } from '../bench/stats.js';
import type { BenchMeasurement, CaseResult } from '../runner/result.js';
import type { DType } from '../tensor/dtype.js';
import { buildReport } from '../report/build.js';
import type { Report, Waiver } from '../report/schema.js';
import type { ShippedCase, ShippedCatalog } from '../verify/verify.js';

/**
 * A synthetic suite, catalog and report of any size, with numbers that hang together the way the judge's do.
 * For tests and the verify benchmark: it depends on no op or suite definition, so it stays stable while
 * those grow.
 */

const OPS = [
  { family: 'binary', op: 'aten.add.Tensor', rule: 'correctly-rounded' },
  { family: 'binary', op: 'aten.mul.Tensor', rule: 'correctly-rounded' },
  { family: 'unary', op: 'aten.exp.default', rule: 'ulp≤2' },
  { family: 'comparison', op: 'aten.eq.Tensor', rule: 'exact' },
] as const;
const DTYPES: DType[] = ['float32', 'float16'];

export interface SyntheticOptions {
  /** cases in the suite (split evenly over ops and dtypes) */
  cases: number;
  profile?: 'inference-fp32' | 'inference-lowp';
}

export function syntheticCases(n: number): ShippedCase[] {
  const out: ShippedCase[] = [];
  for (let i = 0; i < n; i++) {
    const o = OPS[i % OPS.length] as (typeof OPS)[number];
    const dtype = DTYPES[Math.floor(i / OPS.length) % DTYPES.length] as DType;
    out.push({ id: `core/${o.family}/${o.op}/${dtype}/case-${String(i).padStart(6, '0')}`, suite: 'core', kind: 'op', subject: o.op, family: o.family, dtype });
  }
  return out;
}

function ruleOf(op: string): string {
  return OPS.find((o) => o.op === op)?.rule ?? 'none';
}

export function syntheticCatalog(cases: readonly ShippedCase[]): ShippedCatalog {
  const digest = createHash('sha256').update(canonicalize(cases) ?? '').digest('hex');
  const lowp = cases.map((c) => c.id);
  const fp32 = cases.filter((c) => c.dtype === 'float32').map((c) => c.id);
  return {
    harnessVersion: 'test',
    suites: [{ name: 'core', version: '1', digest, cases }],
    requiredIds: (profile) => (profile === 'inference-fp32' ? fp32 : profile === 'inference-lowp' ? lowp : undefined),
    outputsProblem: (c, outputs) => {
      if (outputs.length !== 1) return `${outputs.length} outputs recorded; ${c.subject} has 1`;
      const rule = ruleOf(c.subject);
      const o = outputs[0] as OutputMetrics;
      return o.rule === rule ? null : `output 0 recorded under rule ${o.rule}; ${c.subject} is judged under ${rule}`;
    },
  };
}

/** Metrics of one float output with the given margin (> 1 fails), consistent across every field. */
export function syntheticMetrics(dtype: DType, rule: string, margin: number): OutputMetrics {
  const exact = rule === 'exact';
  const allowed = exact ? 0 : 2 ** -11;
  const failing = margin > 1;
  const ulps = rule === 'correctly-rounded' ? 0.5 : rule === 'exact' ? 0 : 2;
  return {
    index: 0,
    dtype,
    shape: [4, 16],
    rule,
    elements: 64,
    mismatches: failing ? 3 : 0,
    maxAbsError: exact ? (failing ? 1 : 0) : margin * allowed,
    maxRelError: exact ? (failing ? 1 : 0) : margin * allowed,
    maxUlpError: exact ? null : margin * ulps,
    margin: exact && failing ? null : exact ? 0 : margin,
    worst: exact || margin === 0 ? null : { index: [1, 3], actual: String(1 + margin * allowed), expected: '1', allowed: String(allowed) },
    problem: null,
  };
}

export function syntheticResult(c: ShippedCase, margin: number): CaseResult {
  const outputs = [syntheticMetrics(c.dtype as DType, ruleOf(c.subject), margin)];
  const status = statusFromOutputs(outputs);
  return {
    id: c.id,
    kind: 'op',
    subject: c.subject,
    family: c.family,
    dtype: c.dtype as DType,
    status,
    message: status === 'fail' ? failureMessage(outputs, 1, 1) : null,
    outputs,
    outputDigest: createHash('sha256').update(c.id).digest('hex'),
    timings: { execMs: 0.25, deviceMs: null },
  };
}

export interface SyntheticBenchOptions {
  /** defaults to `bench/<family>/<subject>/<dtype>/hot` */
  id?: string;
  /** defaults to the id's third segment */
  subject?: string;
  /** defaults to the id's second segment */
  family?: string;
  dtype?: DType;
  status?: CaseResult['status'];
  message?: string | null;
  samplesNs: number[];
  /** work per run: memory-bound when only `bytes` is given, else compute-bound; `tokens` become the items */
  work?: { flops?: number; bytes?: number; tokens?: number };
  hostBound?: boolean;
  stable?: boolean;
  timer?: string;
  scale?: BenchMeasurement['scale'];
  cache?: BenchMeasurement['cache'];
  math?: BenchMeasurement['math'];
}

/** A measured bench case (a pass by default, hot, small, strict, timed by CUDA events) with stats of its samples. */
export function syntheticBenchResult(options: SyntheticBenchOptions): CaseResult {
  const segments = options.id?.split('/') ?? [];
  const subject = options.subject ?? segments[2] ?? 'bench';
  const family = options.family ?? segments[1] ?? 'bench';
  const dtype = options.dtype ?? 'float32';
  const cache = options.cache ?? 'hot';
  const work = options.work ?? {};
  const onlyBytes = work.bytes !== undefined && work.flops === undefined;
  return {
    id: options.id ?? `bench/${family}/${subject}/${dtype}/${cache}`,
    kind: 'bench',
    subject,
    family,
    dtype,
    status: options.status ?? 'pass',
    message: options.message ?? null,
    outputs: [],
    outputDigest: null,
    timings: { execMs: 1, deviceMs: null },
    bench: {
      timer: options.timer ?? 'cuda-event',
      samplesNs: options.samplesNs,
      callsPerSample: 1,
      warmup: { runs: 1, ns: 1e6 },
      cacheFlushBytes: 0,
      hostBound: options.hostBound ?? false,
      telemetry: {},
      scale: options.scale ?? 'small',
      cache,
      math: options.math ?? 'strict',
      bound: onlyBytes ? 'memory' : 'compute',
      work: { flops: work.flops ?? null, bytes: work.bytes ?? null, items: work.tokens !== undefined ? { count: work.tokens, unit: 'tokens' } : null },
      rounds: 1,
      stable: options.stable ?? true,
      stats: sampleStats(options.samplesNs),
    },
  };
}

/** A report of a full run over the synthetic suite; `margins` overrides the margin of chosen cases (default 0.5). */
export function syntheticReport(
  options: SyntheticOptions & { margins?: Record<string, number>; waivers?: Waiver[]; results?: (c: ShippedCase) => CaseResult | null },
): { catalog: ShippedCatalog; cases: ShippedCase[]; report: Report } {
  const cases = syntheticCases(options.cases);
  const catalog = syntheticCatalog(cases);
  const profile = options.profile ?? 'inference-lowp';
  const requiredIds = catalog.requiredIds(profile, null) ?? [];
  const required = new Set(requiredIds);
  const results: CaseResult[] = [];
  for (const c of cases) {
    if (!required.has(c.id)) continue;
    const r = options.results ? options.results(c) : syntheticResult(c, options.margins?.[c.id] ?? (c.subject === 'aten.eq.Tensor' ? 0 : 0.5));
    if (r) results.push(r);
  }
  const report = buildReport({
    command: ['accelcert', 'run', '--driver', 'reference', '--profile', profile],
    startedAt: new Date('2025-06-01T10:00:00Z'),
    endedAt: new Date('2025-06-01T10:05:00Z'),
    target: {
      driver: 'reference',
      device: 'reference',
      fingerprint: { vendor: 'accelcert', model: 'reference', memoryBytes: null, driverVersion: '1', framework: null, extra: {} },
    },
    suites: catalog.suites,
    profile,
    requiredIds,
    selection: { suites: [], filters: [], dtypes: [], shard: null, cases: requiredIds.length },
    results,
    waivers: options.waivers ?? [],
    run: { outcome: 'completed', message: null },
    host: {
      hostname: 'ci-runner-7',
      os: { platform: 'linux', release: '6.8.0', arch: 'x64' },
      cpu: { model: 'Test CPU', cores: 8 },
      memoryBytes: 34359738368,
      node: 'v20.0.0',
    },
    gitCommit: null,
  });
  return { catalog, cases, report };
}
