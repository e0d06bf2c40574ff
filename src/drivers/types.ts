import type { Arg } from '../ops/args.js';
import type { Capabilities, DeviceInfo } from '../device/device.js';
import type { TensorData } from '../tensor/tensor.js';
import type { BenchSpec, BenchTiming } from '../workload/bench.js';
import type { CollectiveSpec } from '../workload/collective.js';
import type { Graph, GraphMode } from '../workload/graph.js';

export interface Availability {
  usable: boolean;
  /** one sentence: why not, or what it will use */
  reason: string;
  /** when not usable: 2 if the user's own input is at fault (a --python that is no Python), else 3 */
  exitCode?: 2 | 3;
}

/**
 * One run of a case on the device, by workload kind: `op` calls one ATen overload, `graph` runs a graph of ATen
 * calls, `bench` times a workload, `collective` runs a torch.distributed collective across ranks. The harness sends a kind only to a session whose capabilities offer it.
 */
export type ExecRequest =
  | { kind: 'op'; caseId: string; op: string; args: Arg[]; kwargs: Record<string, Arg>; inputs: TensorData[] }
  /**
   * intermediates: the reply holds every value the nodes define, in value order (node by node, each node's outputs
   * in order), instead of only the graph's outputs: what the judge needs to name the first node that goes wrong
   */
  | { kind: 'graph'; caseId: string; graph: Graph; mode: GraphMode; intermediates: boolean; inputs: TensorData[] }
  | { kind: 'bench'; caseId: string; bench: BenchSpec; inputs: TensorData[] }
  /** inputs: one tensor stacking every rank's input (rank r's is row r); the answer has one output per rank, in rank order */
  | { kind: 'collective'; caseId: string; collective: CollectiveSpec; inputs: TensorData[] };

export const EXEC_ERROR_KINDS = ['unsupported', 'runtime', 'out_of_memory'] as const;
export type ExecErrorKind = (typeof EXEC_ERROR_KINDS)[number];

export type ExecResult =
  /** `timing`: a bench request's answer (its outputs are empty) */
  /** `note`: how the device ran the case where it is not the operation asked for (a collective the backend composes) */
  | { ok: true; outputs: TensorData[]; deviceTimeNs?: number; timing?: BenchTiming; note?: string }
  | { ok: false; error: { kind: ExecErrorKind; message: string } };

/** An open device. Sessions only compute: inputs are generated and outputs judged by the harness. */
export interface Session {
  readonly device: DeviceInfo;
  readonly capabilities: Capabilities;
  exec(req: ExecRequest): Promise<ExecResult>;
  close(): Promise<void>;
}

/**
 * Thrown by `Session.exec` when the device session itself is gone. The runner records `crash` and `timeout`
 * as the case statuses of the same name, and `protocol` (the worker broke the protocol: bytes that are not a
 * frame, a malformed reply, a closed pipe) as `error`; `aborted` requests never ran (the session died on an
 * earlier one) and are run again on a fresh session.
 */
export type SessionLostKind = 'crash' | 'timeout' | 'protocol' | 'aborted';

export class SessionLostError extends Error {
  constructor(
    readonly kind: SessionLostKind,
    message: string,
  ) {
    super(message);
    this.name = 'SessionLostError';
  }
}

export interface OpenOptions {
  /** e.g. the python interpreter of the pytorch driver, the worker command of the exec driver */
  python?: string;
  worker?: string;
  /** where the driver writes what its worker prints */
  log?: (line: string) => void;
  /** per-request limit; a worker session kills a worker that does not answer its oldest request in time */
  timeoutMs?: number;
  /** a worker that starts a reply frame and sends nothing more for this long broke the protocol (default 10 s) */
  frameStallMs?: number;
  /** `--trace-protocol`: a worker driver writes every frame header it sends and receives to `log` */
  traceProtocol?: boolean;
  /** where a worker driver keeps a worker started ahead, to replace a lost session at once (the caller closes it) */
  spare?: SpareSlot;
}

/** A worker process started by a driver, before any device is open. */
export interface StartedWorker {
  readonly alive: boolean;
  close(): Promise<void>;
}

/** Holds one worker started ahead of need (src/drivers/worker/spare.ts). */
export interface SpareSlot {
  /** the worker started ahead, once it has started and while it is alive (it leaves the slot); else null */
  take(): Promise<StartedWorker | null>;
  /** starts a worker ahead unless one is there */
  refill(start: () => Promise<StartedWorker>): void;
}

/** A driver adapter: short by design (discover, open); everything common lives in the runner and protocol. */
export interface Driver {
  readonly name: string;
  readonly description: string;
  availability(opts: OpenOptions): Promise<Availability>;
  discover(opts: OpenOptions): Promise<DeviceInfo[]>;
  open(device: string | undefined, opts: OpenOptions): Promise<Session>;
}
