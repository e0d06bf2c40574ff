import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CapabilitiesSchema, DeviceInfoSchema, type Capabilities, type DeviceInfo } from '../device/device.js';
import { firstIssue, firstLine, UserError } from '../errors.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { BenchTimingSchema } from '../workload/bench.js';
import { EXEC_ERROR_KINDS, type Availability, type Driver, type ExecRequest, type ExecResult, type OpenOptions, type Session } from './types.js';

/*
 * A module driver is a vendor's JavaScript, run in this process: everything it returns is checked here against the
 * interface of docs/module-drivers.md, member by member, so that a mistake in it is one sentence naming the member
 * and the field, never a TypeError deep in the harness. A member may answer synchronously or with a Promise.
 */

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

const DriverShape = z.object({
  name: z.string().min(1),
  description: z.string(),
  availability: fn,
  discover: fn,
  open: fn,
});

const AvailabilitySchema = z.object({
  usable: z.boolean(),
  reason: z.string(),
  exitCode: z.union([z.literal(2), z.literal(3)]).optional(),
});

const SessionShape = z.object({ device: DeviceInfoSchema, capabilities: CapabilitiesSchema, exec: fn, close: fn });

const whole = z.number().int().nonnegative();
const OutputTensorSchema = z.object({
  dtype: DTypeSchema,
  shape: z.array(whole),
  strides: z.array(whole),
  offset: whole,
  storage: z.instanceof(Uint8Array, { message: 'expected a Uint8Array of little-endian elements' }),
});

const ExecResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), outputs: z.array(OutputTensorSchema), deviceTimeNs: z.number().nonnegative().optional(), timing: BenchTimingSchema.optional() }),
  z.object({ ok: z.literal(false), error: z.object({ kind: z.enum(EXEC_ERROR_KINDS), message: z.string() }) }),
]);

type Awaitable<T> = T | Promise<T>;

/** What the command line gives a module driver (a driver ignores what it does not know). */
export type DriverOptions = Pick<OpenOptions, 'python' | 'worker' | 'timeoutMs' | 'log'>;

/** A module driver as a vendor writes it: every member may answer synchronously or with a Promise. */
export interface ModuleDriver {
  name: string;
  description: string;
  availability(opts: DriverOptions): Awaitable<Availability>;
  discover(opts: DriverOptions): Awaitable<DeviceInfo[]>;
  open(device: string | undefined, opts: DriverOptions): Awaitable<ModuleSession>;
}

/** An open device of a module driver. */
export interface ModuleSession {
  device: DeviceInfo;
  capabilities: Capabilities;
  exec(request: ExecRequest): Awaitable<ExecResult>;
  close(): Awaitable<void>;
}

/** The error code a driver's `open` throws with to say the device does not exist (exit 2, the user's mistake). */
export const INVALID_DEVICE = 'invalid_device';

/** A member's answer, whether it returned a value, a Promise, or threw. */
function call<T>(f: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(f);
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new DriverInterfaceError(`${what} ${describeIssue(r.error)}`);
  return r.data;
}

function describeIssue(error: z.ZodError): string {
  return `does not match the interface of docs/module-drivers.md: ${firstIssue(error)}`;
}

/** A driver broke its interface: the harness says how, in one sentence. */
export class DriverInterfaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverInterfaceError';
  }
}

/** `driver` with every member's answer validated, sync or async. */
export function guardDriver(driver: ModuleDriver, label: string): Driver {
  const d = `the driver ${label}`;
  return {
    name: driver.name,
    description: driver.description,
    async availability(opts: OpenOptions): Promise<Availability> {
      try {
        return checked(AvailabilitySchema, await call(() => driver.availability(opts)), `${d}: availability() returned a value that`);
      } catch (err) {
        return { usable: false, reason: err instanceof DriverInterfaceError ? err.message : `${d}: availability() threw: ${firstLine(err)}`, exitCode: 3 };
      }
    },
    async discover(opts) {
      const devices = await call(() => driver.discover(opts)).catch((err: unknown) => {
        throw new UserError(`${d}: discover() threw: ${firstLine(err)}`, 3);
      });
      return checkedOrUser(z.array(DeviceInfoSchema), devices, `${d}: discover() returned a value that`);
    },
    async open(device, opts) {
      let session: unknown;
      try {
        session = await call(() => driver.open(device, opts));
      } catch (err) {
        const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
        if (code === INVALID_DEVICE) throw new UserError(`${d} cannot open device ${JSON.stringify(device ?? '(default)')}: ${firstLine(err)}`, 2);
        // any other throw is the device failing to open: the runner says so in its own sentence (exit 3)
        throw err;
      }
      return guardSession(checkedOrUser(SessionShape, session, `${d}: open() returned a session that`) as ModuleSession, d);
    },
  };
}

function checkedOrUser<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  try {
    return checked(schema, value, what);
  } catch (err) {
    if (err instanceof DriverInterfaceError) throw new UserError(err.message, 3);
    throw err;
  }
}

/**
 * A session whose answers are checked: a malformed answer is an `error` of that case (the run goes on); a throw is a
 * crash of the device, as documented; close never throws.
 */
function guardSession(session: ModuleSession, d: string): Session {
  return {
    device: session.device,
    capabilities: session.capabilities,
    async exec(req: ExecRequest): Promise<ExecResult> {
      const answer = await call(() => session.exec(req));
      const r = ExecResultSchema.safeParse(answer);
      if (r.success) return r.data;
      return { ok: false, error: { kind: 'runtime', message: `${d}: exec() answered case ${req.caseId} with a value that ${describeIssue(r.error)}` } };
    },
    async close(): Promise<void> {
      await call(() => session.close()).catch(() => undefined);
    },
  };
}

/**
 * Loads an in-process driver: a JS module whose default export (or `driver` export) is a Driver, with its answers
 * validated. Every way the file can be wrong is one sentence naming it, exit code 2.
 */
export async function loadModuleDriver(path: string): Promise<Driver> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`driver module ${path} does not exist`, 2);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`driver module ${path} failed to load: ${firstLine(err)}`, 2);
  }
  const candidate = mod.default ?? mod.driver;
  const shape = DriverShape.safeParse(candidate);
  if (!shape.success) {
    const what = candidate === undefined ? 'has no default or "driver" export' : `exports a driver that ${describeIssue(shape.error)}`;
    throw new UserError(`driver module ${path} ${what} (a Driver has name, description, availability, discover and open)`, 2);
  }
  return guardDriver(candidate as ModuleDriver, `module ${path}`);
}
