/**
 * What the manager emits as data: the input of `extractData` built from
 * the machine's documents, and the gate that keeps the data streams from repeating a value.
 */

import { filter, map, type Observable, ReplaySubject, type Subject } from 'rxjs';
import { DOCUMENT_NAMES, type DocumentName, PRES_RULES_AUIDS } from '../codecs/applications.js';
import { Addressbook } from '../model/addressbook.js';
import type { DocumentStore } from '../streams/events.js';
import type { SyncContext, SyncDocuments } from '../streams/ports.js';
import { type AccountSettings, xuiOf } from '../streams/settings.js';

/**
 * The arguments of `extractData` for the machine's documents: the parsed roots, the context
 * (the discovery's root, AUID and documents when known, else the settings' root and the
 * documents present) and the icon's alternative location header.
 *
 * @example
 * ```ts
 * const { docs, ctx, meta } = extractInput(documents, discovery, settings, null);
 * extractData(docs, ctx, meta);
 * ```
 */
export function extractInput(
  documents: DocumentStore,
  discovery: { root: string; presRulesAuid: string; supported: readonly DocumentName[] } | null,
  settings: AccountSettings | null,
  discoveryNames: ReadonlySet<DocumentName> | null,
): { docs: SyncDocuments; ctx: SyncContext; meta: { iconLocation?: string } } {
  const docs: SyncDocuments = {};
  for (const n of DOCUMENT_NAMES) {
    const d = documents[n];
    if (d !== undefined) docs[n] = d?.root ?? null;
  }
  const present = DOCUMENT_NAMES.filter((n) => documents[n]);
  const ctx: SyncContext = {
    xcapRoot: discovery?.root ?? settings?.xcap?.root ?? '',
    xui: xuiOf(settings!),
    presRulesAuid: discovery?.presRulesAuid ?? PRES_RULES_AUIDS[0],
    supported: discoveryNames ?? new Set(discovery?.supported ?? present),
  };
  const iconLocation = documents['pres-content']?.headers?.['x-alternative-location'];
  return { docs, ctx, meta: iconLocation !== undefined ? { iconLocation } : {} };
}

/**
 * Emits on a subject only when the value changed structurally (its JSON form), per stream name.
 * `clear()` forgets the last values (another account: everything is new).
 *
 * The comparison starts from identity: extraction returns the same objects for documents and
 * items an edit did not touch, so an unchanged value costs nothing and a changed addressbook
 * compares only the contacts, groups and policies that are new objects (stringifying a
 * 10,000-contact addressbook twice per edit cost more than the edit).
 *
 * @example
 * ```ts
 * const gate = changeGate();
 * gate.emitIfChanged('addressbook', addressbook$, data.addressbook);
 * ```
 */
export function changeGate(): {
  emitIfChanged<T>(name: string, subject: Pick<Subject<T>, 'next'>, value: T): void;
  clear(): void;
} {
  const emitted = new Map<string, { readonly value: unknown }>();
  return {
    emitIfChanged(name, subject, value) {
      const last = emitted.get(name);
      if (last !== undefined && sameData(last.value, value ?? null)) return;
      emitted.set(name, { value: value ?? null });
      subject.next(value);
    },
    clear: () => emitted.clear(),
  };
}

/** Equal JSON forms, comparing an addressbook's items one by one (identity first). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Addressbook && b instanceof Addressbook)
    return (
      sameList(a.contacts, b.contacts) &&
      sameList(a.groups, b.groups) &&
      sameList(a.policies, b.policies)
    );
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && JSON.stringify(a[i]) !== JSON.stringify(b[i])) return false;
  return true;
}

/**
 * A hot stream that replays its latest value and can forget it: after an account switch a
 * late subscriber must not get the previous account's data (nothing, until the new one has).
 *
 * @example const book = resettableReplay<Addressbook>(); book.next(ab); book.reset(); book.value$
 */
export function resettableReplay<T>(): {
  next(value: T): void;
  reset(): void;
  /** Completes the stream (the manager is closed). */
  complete(): void;
  readonly value$: Observable<T>;
  /** The current value at once on subscription, then each change; `undefined` while there is none (also after `reset()`). */
  readonly current$: Observable<T | undefined>;
} {
  const box$ = new ReplaySubject<{ readonly value: T } | null>(1);
  // Nothing yet: current$ says so at once (the manager's snapshot reads every field synchronously).
  box$.next(null);
  return {
    next: (value) => box$.next({ value }),
    reset: () => box$.next(null),
    complete: () => box$.complete(),
    value$: box$.pipe(
      filter((b): b is { readonly value: T } => b !== null),
      map((b) => b.value),
    ),
    current$: box$.pipe(map((b) => b?.value)),
  };
}
