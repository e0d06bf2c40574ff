import { z } from 'zod';
import { ArgSchema } from '../ops/args.js';
import { OP_FAMILIES } from '../ops/types.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { InputSpecSchema } from '../tensor/spec.js';

/**
 * One fully specified invocation of an op. Everything needed to regenerate its inputs bit for bit
 * is here: the input specs and the seed. The id is hierarchical (`suite/family/op/dtype/variant`)
 * and is what filters, shards, waivers, journals and reports key on.
 */
export const CaseSchema = z.object({
  id: z.string().min(1),
  suite: z.string().min(1),
  family: z.enum(OP_FAMILIES),
  op: z.string().regex(/^aten\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/),
  /** the dtype the case is filed under (its main input's dtype) */
  dtype: DTypeSchema,
  inputs: z.array(InputSpecSchema),
  args: z.array(ArgSchema),
  kwargs: z.record(z.string(), ArgSchema),
  /** 64-bit seed as 16 hex digits, derived from the case id */
  seed: z.string().regex(/^[0-9a-f]{16}$/),
});
export type Case = z.infer<typeof CaseSchema>;
