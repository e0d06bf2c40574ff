import { UserError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
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
];

export const DEFAULT_PROFILE = 'inference-fp32';

export function getProfile(name: string): Profile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new UserError(`unknown profile "${name}"; known profiles: ${PROFILES.map((x) => x.name).join(', ')}`);
  return p;
}

/** The cases a profile requires, in suite order. */
export function requiredCases(profile: Profile, suites: readonly Suite[]): Case[] {
  const dtypes = new Set(profile.dtypes);
  return suites.filter((s) => profile.suites.includes(s.name)).flatMap((s) => s.cases.filter((c) => dtypes.has(c.dtype)));
}
