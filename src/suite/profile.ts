import { UserError } from '../errors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import type { BenchScale } from '../workload/bench.js';
import type { Case } from '../workload/case.js';
import type { Suite } from './suite.js';

/** A certification claim: which suites and dtypes must all pass. The verdict is computed per profile. */
export interface Profile {
  name: string;
  description: string;
  suites: string[];
  dtypes: DType[];
}

const FP32_DTYPES: DType[] = ['float32', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

export const PROFILES: readonly Profile[] = [
  {
    name: 'inference-fp32',
    description: 'float32 inference: every core case and model in float32, the integer dtypes and bool',
    suites: ['core', 'models'],
    dtypes: FP32_DTYPES,
  },
  {
    name: 'inference-lowp',
    description: 'low-precision inference: inference-fp32 plus float16 and bfloat16',
    suites: ['core', 'models'],
    dtypes: [...FP32_DTYPES, 'float16', 'bfloat16'],
  },
  {
    name: 'full',
    description: 'every case of every suite, float64 included',
    suites: ['core', 'models'],
    dtypes: ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'],
  },
  {
    name: 'bench',
    description: 'throughput benchmarks of the bench scale (--bench-scale): every benchmark measured, or not applicable on the device',
    suites: ['bench'],
    dtypes: [...DTYPES],
  },
  {
    name: 'collectives',
    description: 'collectives across the ranks of a node (torch.distributed): every collective in float32 and int64',
    suites: ['collectives'],
    dtypes: ['float32', 'int64'],
  },
  {
    name: 'collectives-lowp',
    description: 'collectives plus float16 and bfloat16, the dtypes mixed-precision training communicates in',
    suites: ['collectives'],
    dtypes: ['float32', 'int64', 'float16', 'bfloat16'],
  },
];

export const DEFAULT_PROFILE = 'inference-fp32';

export function getProfile(name: string): Profile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new UserError(`unknown profile "${name}"; known profiles: ${PROFILES.map((x) => x.name).join(', ')}`);
  return p;
}

/** The cases a profile requires, in suite order; of the bench cases, those of one scale (default small). */
export function requiredCases(profile: Profile, suites: readonly Suite[], benchScale: BenchScale | null = null): Case[] {
  const dtypes = new Set(profile.dtypes);
  const scale = benchScale ?? 'small';
  return suites
    .filter((s) => profile.suites.includes(s.name))
    .flatMap((s) => s.cases.filter((c) => dtypes.has(c.dtype) && (c.kind !== 'bench' || c.scale === scale)));
}

/** Whether a profile requires benchmarks (then its run has a bench scale). */
export function hasBenchmarks(profile: Profile, suites: readonly Suite[]): boolean {
  return suites.some((s) => profile.suites.includes(s.name) && s.cases.some((c) => c.kind === 'bench'));
}
