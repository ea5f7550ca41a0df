/**
 * The bookkeeping of the incremental document cache (document-change-log.ts): what it knows it
 * stored per document, the key of each change, the checks of stored values and the base
 * generations.
 */

import type { TreeDocument } from './document-change-log.js';

export interface State<T> {
  /** The version stored (base + changes). */
  doc: TreeDocument<T> | undefined;
  gen: string;
  /** Next change number. */
  seq: number;
  count: number;
  bytes: number;
  baseBytes: number;
  /** Keys under the document's change prefix may exist (stale or current). */
  changesStored: boolean;
  /** Only in the old whole-cache key: its base must be written. */
  legacy: boolean;
  /** Stored as known to be absent (a base `{ absent: true }`). */
  absent?: boolean;
}

export const emptyState = <T>(): State<T> => ({
  doc: undefined,
  gen: '',
  seq: 0,
  count: 0,
  bytes: 0,
  baseBytes: 0,
  changesStored: false,
  legacy: false,
});

const SEQ_DIGITS = 10;
export const seqKey = (n: number): string => String(n).padStart(SEQ_DIGITS, '0');

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const validHeaders = (h: unknown): boolean =>
  h === undefined || (isRecord(h) && Object.values(h).every((x) => typeof x === 'string'));

let genCounter = 0;
/** A new base generation: unique enough that no stale change can name it. */
export function newGen(): string {
  genCounter = (genCounter + 1) % 1e9;
  return `${Date.now().toString(36)}.${genCounter.toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
}

/** True when two header sets are equal (same names and values). */
export function sameHeaders(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
