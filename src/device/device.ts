import { z } from 'zod';
import { DTypeSchema } from '../tensor/dtype.js';
import { WorkloadKindSchema, type WorkloadKind } from '../workload/kind.js';

/*
 * What a device is and what an open session on it can do: the ground-floor types that the protocol, every
 * driver and the report share, so none of them has to import another to speak of a device.
 */

/** Who and what a device is: recorded in every report so a result can be tied to exact hardware and software. */
export const FingerprintSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  memoryBytes: z.number().nullable(),
  driverVersion: z.string().nullable(),
  framework: z.object({ name: z.string(), version: z.string() }).nullable(),
  /** anything else the driver knows: compute capability, CUDA/HIP version, numerics switches (allow_tf32, …) */
  extra: z.record(z.string(), z.string()),
});
export type Fingerprint = z.infer<typeof FingerprintSchema>;

export const DeviceInfoSchema = z.object({
  /** the device string the driver opens, e.g. `cpu`, `cuda:0`, `reference` */
  device: z.string(),
  fingerprint: FingerprintSchema,
});
export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;

export const CapabilitiesSchema = z.object({
  /** the dtypes of input tensors the session accepts (every input of a case must have one) */
  dtypes: z.array(DTypeSchema),
  /**
   * the dtypes the session computes in: a case filed under another dtype is not sent (a device may hold int64 index
   * tensors without computing in int64); absent means the same as `dtypes`
   */
  computeDtypes: z.array(DTypeSchema).optional(),
  /** ops the session can run; null = it will try any op and say `unsupported` per case */
  ops: z.array(z.string()).nullable(),
  features: z.array(z.string()),
  /**
   * the workload kinds the session runs, each with the version of its request it speaks; absent means op only,
   * version 1 (what every device ran before workload kinds existed)
   */
  workloads: z.partialRecord(WorkloadKindSchema, z.number().int().positive()).optional(),
  /**
   * how the session runs collective workloads: the communication backend (gloo, nccl, …), the most ranks it forms
   * (one per device of the node; processes on a CPU), and what it composes from other collectives because the backend
   * lacks it (`avg` → "sum, then division by the world size"), each with the sentence a result carries
   */
  collectives: z
    .object({
      backend: z.string().min(1).max(200),
      maxRanks: z.number().int().nonnegative(),
      composed: z.record(z.string().max(200), z.string().max(1000)),
    })
    .optional(),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** The version of each workload kind's request this accelcert sends (docs/driver-protocol.md). */
export const WORKLOAD_VERSIONS: Readonly<Record<WorkloadKind, number>> = { op: 1, graph: 1, bench: 1, collective: 1 };

/** Why a session cannot run a workload kind, or null when it can: negotiated from its capabilities. */
export function workloadProblem(caps: Capabilities, kind: WorkloadKind): string | null {
  const offered = caps.workloads ?? { op: 1 };
  const version = offered[kind];
  if (version === undefined) {
    const kinds = Object.keys(offered).join(', ') || 'none';
    return `the device does not run ${kind} workloads (it offers: ${kinds})`;
  }
  if (version !== WORKLOAD_VERSIONS[kind]) {
    return `the device speaks version ${version} of the ${kind} request, this accelcert version ${WORKLOAD_VERSIONS[kind]}`;
  }
  return null;
}

/** A device's name for people: vendor and model, without saying the vendor twice ("AMD EPYC", not "AMD AMD EPYC"). */
export function deviceName(fp: Pick<Fingerprint, 'vendor' | 'model'>): string {
  return fp.model.toLowerCase().startsWith(fp.vendor.toLowerCase()) ? fp.model : `${fp.vendor} ${fp.model}`;
}
