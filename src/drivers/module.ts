import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine, UserError } from '../errors.js';
import type { Driver } from './types.js';

function isDriver(x: unknown): x is Driver {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return (
    typeof d.name === 'string' &&
    typeof d.description === 'string' &&
    typeof d.availability === 'function' &&
    typeof d.discover === 'function' &&
    typeof d.open === 'function'
  );
}

/**
 * Loads an in-process driver: a JS module whose default export (or `driver` export) is a Driver.
 * Every way the file can be wrong is one sentence naming it, exit code 2.
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
  const driver = isDriver(mod.default) ? mod.default : isDriver(mod.driver) ? mod.driver : null;
  if (!driver) {
    throw new UserError(
      `driver module ${path} does not export a Driver (a default or "driver" export with name, description, availability, discover and open)`,
      2,
    );
  }
  return driver;
}
