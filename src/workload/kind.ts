import { z } from 'zod';

/**
 * What a case runs: `op`, one ATen overload; `graph`, a model given as ATen calls in the shape of an FX /
 * torch.export graph; `bench`, a timed workload; `collective`, a torch.distributed collective across ranks. Every layer (case, session, protocol, runner, judge, report)
 * carries the kind, and a device that lacks one says so instead of failing.
 */
export const WORKLOAD_KINDS = ['op', 'graph', 'bench', 'collective'] as const;
export const WorkloadKindSchema = z.enum(WORKLOAD_KINDS);
export type WorkloadKind = z.infer<typeof WorkloadKindSchema>;

/** An ATen overload name, `aten.<name>.<overload>` (`.default` when PyTorch has no overload name). */
export const AtenNameSchema = z.string().regex(/^aten\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'an ATen overload name, aten.<name>.<overload>');
