import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { findPython } from '../drivers/pytorch/python.js';
import type { ExecRequest, Session } from '../drivers/types.js';
import { WorkerClient } from '../drivers/worker/session.js';
import { arg } from '../ops/args.js';
import type { TensorData } from '../tensor/tensor.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * Tensor transport harness ↔ worker, against the raw throughput of the same pipes on the same machine:
 * (1) a worker that copies bytes fd 3 → fd 4, (2) a protocol worker that echoes each exec's tensor,
 * (3) the pytorch worker running aten.clone.default on the cpu; then the round-trip overhead of one tiny
 * exec on the pytorch driver. Throughput counts payload bytes both ways per second.
 */
const ECHO = join(PACKAGE_ROOT, 'fixtures/workers/echo_worker.py');
const SIZES = [1 << 20, 16 << 20];
const BUDGET_MS = 1500;
const ROUND_MS = 300;
const ROUNDS = 5;
// the same allocator settings the pytorch driver gives its worker, so that every worker is measured alike
const WORKER_ENV = { ...process.env, MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(512 << 20) };

export async function benchTransport(): Promise<string[]> {
  const lines: string[] = [];
  const py = await findPython({}).catch(() => null);
  if (!py) return ['transport: skipped (no Python interpreter found)'];
  const session = py.torchVersion ? await pytorchDriver.open('cpu', { python: py.path }).catch(() => null) : null;
  const echo = await WorkerClient.start({ argv: [py.path, ECHO, 'protocol'], env: WORKER_ENV, label: 'the echo worker', tag: 'echo' });
  const echoSession = await echo.open(undefined);
  const raw = await startRawEcho(py.path);
  try {
    for (const size of SIZES) {
      const bytes = bytesCase(size, 'uint8');
      const floats = bytesCase(size, 'float32', 'aten.clone.default');
      const methods: [string, () => Promise<number>][] = [
        [`raw pipe echo (${py.path})`, () => raw.measure(size)],
        ['protocol echo worker', () => transported(echoSession, bytes, size)],
        ['protocol echo worker, 3 in flight', () => transported(echoSession, bytes, size, 3)],
      ];
      if (session) {
        methods.push(['pytorch worker aten.clone.default (cpu)', () => transported(session, floats, size)]);
        methods.push(['pytorch worker aten.clone.default, 3 in flight', () => transported(session, floats, size, 3)]);
      }
      // interleaved rounds, median per method: a busy machine slows every method alike
      const rates = methods.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, [, measure]] of methods.entries()) rates[i]?.push(await measure());
      }
      const rawRate = median(rates[0] ?? []);
      methods.forEach(([what], i) => lines.push(row(what, size, median(rates[i] ?? []), i === 0 ? undefined : rawRate)));
    }
    if (session) lines.push(...(await roundTrip(session)));
    else lines.push(`exec round trip: skipped (${py.reason})`);
  } finally {
    raw.stop();
    await echoSession.close();
    await session?.close();
  }
  return lines;
}

function row(what: string, size: number, bytesPerSec: number, raw?: number): string {
  const pct = raw ? `  ${((100 * bytesPerSec) / raw).toFixed(0)}% of raw` : '';
  return `transport  ${what.padEnd(48)} ${`${size >> 20} MiB`.padStart(6)}  ${(bytesPerSec / 1e9).toFixed(2)} GB/s${pct}`;
}

function bytesCase(size: number, dtype: 'uint8' | 'float32', op = 'echo'): ExecRequest {
  const storage = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) storage[i] = i & 0xff;
  const n = dtype === 'uint8' ? size : size / 4;
  const t: TensorData = { dtype, shape: [n], strides: [1], offset: 0, storage };
  return { kind: 'op', caseId: `bench/transport/${size}`, op, args: [arg.tensor(0)], kwargs: {}, inputs: [t] };
}

/** Payload bytes per second (both directions) of exec round trips, `depth` requests kept in flight. */
async function transported(session: Session, req: ExecRequest, size: number, depth = 1): Promise<number> {
  await check(session, req, size);
  let done = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - start < ROUND_MS) {
      await check(session, req, size);
      done++;
    }
  };
  await Promise.all(Array.from({ length: depth }, lane));
  return (2 * size * done) / ((performance.now() - start) / 1000);
}

async function check(session: Session, req: ExecRequest, size: number): Promise<void> {
  const r = await session.exec(req);
  if (!r.ok || r.outputs[0]?.storage.byteLength !== size) throw new Error(`transport bench: ${r.ok ? 'short output' : r.error.message}`);
}

/** The same pipes without the protocol: a worker that copies fd 3 to fd 4, one buffer at a time. */
async function startRawEcho(python: string): Promise<{ measure: (size: number) => Promise<number>; stop: () => void }> {
  const child = spawn(python, [ECHO, 'raw'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'], env: WORKER_ENV });
  const out = child.stdio[3];
  const back = child.stdio[4];
  if (!(out instanceof Writable) || !(back instanceof Readable)) throw new Error('pipes were not created');
  let received = 0;
  let wake: (() => void) | null = null;
  back.on('data', (c: Buffer) => {
    received += c.byteLength;
    wake?.();
  });
  const once = async (payload: Uint8Array): Promise<void> => {
    const target = received + payload.byteLength;
    out.write(payload);
    while (received < target) await new Promise<void>((r) => (wake = r));
  };
  const measure = async (size: number): Promise<number> => {
    const payload = new Uint8Array(size).fill(7);
    await once(payload);
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < ROUND_MS) {
      await once(payload);
      done++;
    }
    return (2 * size * done) / ((performance.now() - start) / 1000);
  };
  return {
    measure,
    stop: () => {
      out.end();
      child.kill();
    },
  };
}

/** Median round trip of a one-element add, sequential, and the rate with 8 requests in flight. */
async function roundTrip(session: Session): Promise<string[]> {
  const one = (x: number): TensorData => ({ dtype: 'float32', shape: [1], strides: [1], offset: 0, storage: new Uint8Array(new Float32Array([x]).buffer) });
  const req: ExecRequest = { kind: 'op', caseId: 'bench/rt', op: 'aten.add.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [one(1), one(2)] };
  for (let i = 0; i < 50; i++) await session.exec(req);
  const wall: number[] = [];
  const device: number[] = [];
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS || wall.length < 100) {
    const t0 = performance.now();
    const r = await session.exec(req);
    wall.push((performance.now() - t0) * 1000);
    if (r.ok && r.deviceTimeNs !== undefined) device.push(r.deviceTimeNs / 1000);
  }
  let done = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() - t1 < BUDGET_MS) {
        await session.exec(req);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t1) / 1000);
  return [
    `exec round trip  pytorch cpu aten.add.Tensor float32[1]: median ${median(wall).toFixed(0)} µs (op itself ${median(device).toFixed(0)} µs, n=${wall.length}); ${rate.toFixed(0)} exec/s with 8 in flight`,
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : ((s[(s.length - 1) >> 1] ?? 0) + (s[s.length >> 1] ?? 0)) / 2;
}
