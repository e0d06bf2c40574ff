import type { Status } from '../judge/result.js';
import { xmlEscape } from './chart.js';

/**
 * Text for HTML content and attribute values: the five specials escaped and the control characters XML forbids
 * dropped, so that a message a device sent can never open a tag or close an attribute.
 */
export const esc = xmlEscape;

/** "1 case", "3 cases". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Inline code: `<code>` with its text escaped. */
export const code = (s: string): string => `<code>${esc(s)}</code>`;

/**
 * The statuses a case can end in, as the page shows them: a word for the screen reader and the text, a mark for the
 * heat map, and the CSS class that colours it. The mark and word carry the meaning; the colour only repeats it.
 */
export const STATUS_TEXT: Readonly<Record<Status, { mark: string; word: string }>> = {
  pass: { mark: '✓', word: 'pass' },
  fail: { mark: '✗', word: 'fail' },
  error: { mark: 'E', word: 'error' },
  crash: { mark: 'E', word: 'crash' },
  timeout: { mark: 'E', word: 'timeout' },
  unsupported: { mark: 'U', word: 'unsupported' },
  skip: { mark: '–', word: 'not applicable (skip)' },
  waived: { mark: 'W', word: 'waived' },
};

/** A status as a small labelled badge: mark and word, coloured by its class. */
export function badge(status: Status): string {
  const t = STATUS_TEXT[status];
  return `<span class="badge st-${status}"><span aria-hidden="true">${t.mark} </span>${esc(t.word)}</span>`;
}

/**
 * The page's anchor ids: readable (an op name, a case id) so that a link to a cell or a case can be shared, and unique
 * whatever characters a name holds (anything outside letters, digits and `._/-` becomes `_`, and a clash gets `~N`).
 * The same key always gets the same id within one page.
 */
export class Anchors {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  id(kind: 'cell' | 'case' | 'op', ...parts: string[]): string {
    const key = `${kind}\n${parts.join('\n')}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const base = `${kind}-${parts.join('/').replace(/[^A-Za-z0-9._/-]+/g, '_')}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}~${n}`;
    this.used.add(id);
    this.byKey.set(key, id);
    return id;
  }
}

/** The nearest-rank quantile q (0–1) of numbers sorted ascending; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}
