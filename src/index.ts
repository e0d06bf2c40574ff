/**
 * What a vendor's code may import from the accelcert package: the types of the module-driver interface
 * (docs/module-drivers.md), so that an editor checks a driver against it.
 *
 *   import type { Driver } from 'accelcert';
 */
export type { ModuleDriver as Driver, ModuleSession as Session, DriverOptions } from './drivers/module.js';
export type { Availability, ExecErrorKind, ExecRequest, ExecResult } from './drivers/types.js';
export type { Capabilities, DeviceInfo, Fingerprint } from './device/device.js';
export type { TensorData } from './tensor/tensor.js';
export type { DType } from './tensor/dtype.js';
export type { Arg } from './ops/args.js';
export type { BenchSpec, BenchTiming } from './workload/bench.js';
export type { Graph, GraphMode } from './workload/graph.js';
/** The `code` of an error that `open` throws when the device does not exist (exit 2). */
export { INVALID_DEVICE } from './drivers/module.js';
