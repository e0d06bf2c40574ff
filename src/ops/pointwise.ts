import { ARITH_OPS } from './pointwise-arith.js';
import { COMPARE_OPS } from './pointwise-compare.js';
import { LOGIC_OPS } from './pointwise-logic.js';
import { POW_OPS } from './pointwise-pow.js';
import type { OpDef } from './types.js';

/**
 * The op catalogue's binary and comparison overloads beyond add, sub, mul, div, eq and lt: the Scalar forms of sub and
 * div, pow, fmod, remainder, atan2 and the bitwise and logical ops (family binary); ne/ge/gt/le and the Scalar forms of
 * eq and lt, maximum, minimum and clamp (family comparison).
 */
export const POINTWISE_OPS: readonly OpDef[] = [...ARITH_OPS, ...POW_OPS, ...LOGIC_OPS, ...COMPARE_OPS];
