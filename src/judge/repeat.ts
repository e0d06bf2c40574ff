import { createHash } from 'node:crypto';
import type { OutputMetrics } from './result.js';

/** sha256 (hex) over the raw bytes of every output, in order. */
export function digestBytes(outputs: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const b of outputs) h.update(b);
  return h.digest('hex');
}

/** Elements whose bytes differ between two equally long byte images of `elements` elements. */
function differingElements(a: Uint8Array, b: Uint8Array, elements: number): number {
  if (a.length !== b.length || elements === 0) return elements;
  const size = a.length / elements;
  let n = 0;
  for (let i = 0; i < a.length; i += size) if (Buffer.compare(a.subarray(i, i + size), b.subarray(i, i + size)) !== 0) n++;
  return n;
}

/**
 * Numerics policy 6: the same case run again must give the same bytes. An output that differs gets the difference
 * as its problem and an unbounded margin, as every output with a problem has (one that already has a problem keeps
 * its first one). `draws[k]` marks a random output, which is exempt.
 */
export function compareRepeat(first: readonly Uint8Array[], repeat: readonly Uint8Array[], outputs: OutputMetrics[], draws: readonly boolean[] = []): void {
  first.forEach((bytes, k) => {
    const o = outputs[k];
    // a draw from the device's generator is judged for independence of the repeat instead (distribution.ts)
    if (!o || o.problem !== null || draws[k] === true) return;
    const other = repeat[k];
    if (!other) o.problem = 'the repeated run returned fewer outputs';
    else if (Buffer.compare(bytes, other) !== 0) {
      o.problem = `not bit-identical when the case ran again: ${differingElements(bytes, other, o.elements)} of ${o.elements} elements differ`;
    } else return;
    o.margin = null;
  });
}
