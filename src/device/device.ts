import { z } from 'zod';
import { DTypeSchema } from '../tensor/dtype.js';

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
  dtypes: z.array(DTypeSchema),
  /** ops the session can run; null = it will try any op and say `unsupported` per case */
  ops: z.array(z.string()).nullable(),
  features: z.array(z.string()),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** A device's name for people: vendor and model, without saying the vendor twice ("AMD EPYC", not "AMD AMD EPYC"). */
export function deviceName(fp: Pick<Fingerprint, 'vendor' | 'model'>): string {
  return fp.model.toLowerCase().startsWith(fp.vendor.toLowerCase()) ? fp.model : `${fp.vendor} ${fp.model}`;
}
