import { UserError } from '../errors.js';
import { execDriver } from './exec/driver.js';
import { loadModuleDriver } from './module.js';
import { pytorchDriver } from './pytorch/driver.js';
import { referenceDriver } from './reference/driver.js';
import type { Driver, OpenOptions } from './types.js';

export const BUILTIN_DRIVERS: readonly Driver[] = [pytorchDriver, execDriver, referenceDriver];

function isModulePath(name: string): boolean {
  return name.startsWith('.') || name.startsWith('/') || /\.(m?js|cjs)$/.test(name);
}

/** A built-in driver by name, or an in-process driver module by path (`./my-driver.js`). */
export async function resolveDriver(name: string): Promise<Driver> {
  if (isModulePath(name)) return loadModuleDriver(name);
  const d = BUILTIN_DRIVERS.find((x) => x.name === name);
  if (!d) {
    throw new UserError(`unknown driver "${name}"; known drivers: ${BUILTIN_DRIVERS.map((x) => x.name).join(', ')}, or a path to a driver module`);
  }
  return d;
}

export interface AutoChoice {
  driver: Driver;
  device: string;
  reason: string;
}

/**
 * Picks the best usable target when the user named none: an accelerator through PyTorch, else PyTorch
 * on the CPU, else the reference self-test; the reason says which and why.
 */
export async function autoSelect(opts: OpenOptions): Promise<AutoChoice> {
  const avail = await pytorchDriver.availability(opts);
  if (avail.usable) {
    const devices = await pytorchDriver.discover(opts);
    const accel = devices.find((d) => d.device !== 'cpu');
    if (accel) return { driver: pytorchDriver, device: accel.device, reason: `PyTorch sees ${accel.fingerprint.model} (${accel.device})` };
    if (devices.some((d) => d.device === 'cpu')) return { driver: pytorchDriver, device: 'cpu', reason: 'PyTorch sees no accelerator; certifying PyTorch on the CPU' };
  }
  return { driver: referenceDriver, device: 'reference', reason: `the pytorch driver is not usable (${avail.reason}); running the reference self-test` };
}
