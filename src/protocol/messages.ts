import { z } from 'zod';
import { ArgSchema } from '../ops/args.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { BenchSpecSchema, BenchTimingSchema } from '../workload/bench.js';
import { CollectiveSpecSchema } from '../workload/collective.js';
import { GraphModeSchema, GraphSchema } from '../workload/graph.js';
import { CapabilitiesSchema, DeviceInfoSchema } from '../device/device.js';

/**
 * The messages of the accelcert worker protocol (docs/driver-protocol.md). The harness sends requests, the
 * worker answers each with one reply carrying the request's id. Types come from these schemas, and so does
 * the published JSON Schema (docs/protocol.schema.json), so code, validation and documentation cannot drift.
 */
export const PROTOCOL_VERSION = 1;

// bounds keep a confused worker from making the harness build absurd objects
const MAX_RANK = 64;
const MAX_TENSORS = 4096;
const MAX_TEXT = 64 * 1024;

const Id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).describe('request id, echoed by the reply');
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Text = z.string().max(MAX_TEXT);

/** An input tensor: a storage (bytes of the frame body) viewed through shape/strides/offset, in elements. */
export const WireTensorSchema = z
  .object({
    dtype: DTypeSchema,
    shape: z.array(Count).max(MAX_RANK),
    strides: z.array(Count).max(MAX_RANK).describe('in elements; 0 for broadcast (expanded) dimensions'),
    offset: Count.describe('storage offset in elements'),
    byteOffset: Count.describe('where the storage starts in the frame body'),
    byteLength: Count.describe('storage size in bytes: storage element count × itemsize'),
  })
  .describe('input tensor view over a storage held in the frame body');
export type WireTensor = z.infer<typeof WireTensorSchema>;

/** An output tensor: always contiguous, offset 0, exactly numel × itemsize bytes. */
export const WireOutputSchema = z
  .object({
    dtype: DTypeSchema,
    shape: z.array(Count).max(MAX_RANK),
    byteOffset: Count,
    byteLength: Count,
  })
  .describe('output tensor, contiguous (row-major), in the frame body');
export type WireOutput = z.infer<typeof WireOutputSchema>;

const Software = z.object({ name: Text, version: Text });

// ---- requests (harness → worker) ----

export const HelloRequestSchema = z.object({
  type: z.literal('hello'),
  id: Id,
  protocol: z.number().int().describe('the protocol version the harness speaks'),
  harness: Software,
});
export const DiscoverRequestSchema = z.object({ type: z.literal('discover'), id: Id });
export const OpenRequestSchema = z.object({
  type: z.literal('open'),
  id: Id,
  device: Text.nullable().describe('device string, e.g. "cuda:0"; null = the worker picks its default device'),
});
/** A workload request: its type, the case it runs and the case's input tensors, plus what its kind needs. */
function workloadRequest<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), id: Id, caseId: Text, ...shape, inputs: z.array(WireTensorSchema).max(MAX_TENSORS) });
}

/** The `op` workload: one ATen call. Sent to every worker (a worker that offers no workloads runs op, version 1). */
export const ExecRequestSchema = workloadRequest('exec', {
  op: Text.describe('ATen overload, e.g. "aten.add.Tensor"'),
  args: z.array(ArgSchema),
  kwargs: z.record(z.string(), ArgSchema),
});
/**
 * The `graph` workload: a graph of ATen calls over the inputs, run eagerly or compiled; the reply carries the graph's
 * outputs, or with `intermediates` every value the nodes define, in value order. Sent only to a worker whose
 * capabilities offer `graph` at the version this accelcert speaks.
 */
export const GraphRequestSchema = workloadRequest('graph', {
  graph: GraphSchema,
  mode: GraphModeSchema.describe('eager: node by node; compiled: through the framework graph compiler (torch.compile)'),
  intermediates: z.boolean().describe('reply with every value the nodes define, in value order, not only the outputs'),
});
/**
 * The `bench` workload: a timed run of an ATen call or a graph on the request's inputs, warmed up, repeated and timed
 * on the device as `bench.timing` says (docs/benchmarks.md); the reply is a `timing`. Sent only to a worker whose
 * capabilities offer `bench` at the version this accelcert speaks, and never while another request is in flight.
 */
export const BenchRequestSchema = workloadRequest('bench', { bench: BenchSpecSchema });
/**
 * The `collective` workload: a torch.distributed collective across `collective.ranks` ranks of the node. The one input
 * stacks every rank's input (rank r starts from row r); the reply is a `result` with one output per rank, in rank
 * order (docs/collectives.md). Sent only to a worker whose capabilities offer `collective`.
 */
export const CollectiveRequestSchema = workloadRequest('collective', { collective: CollectiveSpecSchema });
export const CloseRequestSchema = z.object({ type: z.literal('close'), id: Id });

export const RequestSchema = z.discriminatedUnion('type', [
  HelloRequestSchema,
  DiscoverRequestSchema,
  OpenRequestSchema,
  ExecRequestSchema,
  GraphRequestSchema,
  BenchRequestSchema,
  CollectiveRequestSchema,
  CloseRequestSchema,
]);
export type Request = z.infer<typeof RequestSchema>;
export type RequestType = Request['type'];

// ---- replies (worker → harness) ----

export const HelloReplySchema = z.object({
  type: z.literal('hello'),
  id: Id,
  protocol: z.number().int().describe('the protocol version the worker speaks; must equal the harness version'),
  worker: Software,
  frameworks: z.record(z.string(), Text).describe('framework name → version, e.g. {"torch": "2.4.1"}'),
});
export const DevicesReplySchema = z.object({
  type: z.literal('devices'),
  id: Id,
  devices: z.array(DeviceInfoSchema).max(MAX_TENSORS),
});
export const OpenedReplySchema = z.object({
  type: z.literal('opened'),
  id: Id,
  device: DeviceInfoSchema,
  capabilities: CapabilitiesSchema,
});
export const ResultReplySchema = z.object({
  type: z.literal('result'),
  id: Id,
  outputs: z.array(WireOutputSchema).max(MAX_TENSORS),
  deviceTimeNs: Count.nullable().optional().describe('device time of the call, synchronised, if measured'),
  note: Text.optional().describe('how the device ran the case where it is not the operation asked for, e.g. a collective the backend composes from others'),
});

/** The answer to a `bench` request: the timed samples and how they were taken. */
export const TimingReplySchema = z.object({ type: z.literal('timing'), id: Id, ...BenchTimingSchema.shape });

/**
 * Typed failures. For exec, graph and bench: unsupported (workload kind, op, overload or dtype not available on this device),
 * runtime (the op raised), out_of_memory. For other requests: invalid_device (open of a device string the
 * framework rejects), bad_request (the worker could not understand the request).
 */
export const WIRE_ERROR_KINDS = ['unsupported', 'runtime', 'out_of_memory', 'invalid_device', 'bad_request'] as const;
export const ErrorReplySchema = z.object({
  type: z.literal('error'),
  id: Id,
  kind: z.enum(WIRE_ERROR_KINDS),
  message: Text,
});
export const ClosedReplySchema = z.object({ type: z.literal('closed'), id: Id });

export const ReplySchema = z.discriminatedUnion('type', [
  HelloReplySchema,
  DevicesReplySchema,
  OpenedReplySchema,
  ResultReplySchema,
  TimingReplySchema,
  ErrorReplySchema,
  ClosedReplySchema,
]);
export type Reply = z.infer<typeof ReplySchema>;
export type HelloReply = z.infer<typeof HelloReplySchema>;
export type ErrorReply = z.infer<typeof ErrorReplySchema>;

/** The JSON Schema published as docs/protocol.schema.json. */
export function protocolJsonSchema(): Record<string, unknown> {
  // the pieces several messages share are defined once, by name, so the document reads like the protocol
  const named = z.registry<{ id: string }>();
  named.add(ArgSchema, { id: 'Arg' });
  named.add(WireTensorSchema, { id: 'WireTensor' });
  named.add(WireOutputSchema, { id: 'WireOutput' });
  named.add(GraphSchema, { id: 'Graph' });
  named.add(DeviceInfoSchema, { id: 'DeviceInfo' });
  const schema = z.toJSONSchema(z.object({ request: RequestSchema, reply: ReplySchema }), {
    target: 'draft-2020-12',
    unrepresentable: 'throw',
    io: 'input',
    metadata: named,
  }) as Record<string, unknown>;
  const props = schema.properties as Record<string, unknown>;
  const shared = (schema.$defs ?? {}) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://accelcert.dev/schemas/protocol-v1.schema.json',
    title: `accelcert worker protocol, version ${PROTOCOL_VERSION}`,
    description:
      'JSON headers of the frames exchanged between harness and worker. A frame header is one Request (harness → worker) or one Reply (worker → harness); see docs/driver-protocol.md for framing and tensor bytes.',
    $defs: { Request: props.request, Reply: props.reply, ...shared },
    oneOf: [{ $ref: '#/$defs/Request' }, { $ref: '#/$defs/Reply' }],
  };
}
