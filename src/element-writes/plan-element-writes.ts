/**
 * The element-write planner: given a document before and after an edit, the smallest set of
 * element and attribute PUTs and DELETEs (RFC 4825 §7.4–7.6) that turns the server's copy
 * into the new one, or a whole-document PUT when that is smaller or the writes cannot express
 * the change on this server.
 *
 * Pure: it never touches the network. Each write is meant to be sent with `If-Match` of the
 * ETag the previous answer returned (the first with the document's ETag), so a 412 on any of
 * them means another client wrote in between; the caller then refetches and replans.
 *
 * How it works: the two trees share every unchanged subtree (journal operations copy only the
 * path to what they change), so the diff walks only changed paths. For each changed element
 * it compares two ways and keeps the cheaper by bytes on the wire: replacing the element whole,
 * or writing inside it (its changed children recursively, deleted children, inserted children,
 * changed attributes). The writes are applied, as they are planned, to an in-memory model of
 * the server (element-write.ts), so every selector is computed against the document as it will
 * be when that request arrives, and a way that would leave the server's document not
 * equivalent to the new one (sibling-order.ts) is dropped.
 */
import { quoteAttValue } from '../client/node-selector.js';
import { sameElement, type XmlElement } from '../codecs/xml/tree.js';
import { elementChildren, positionOf } from './child-index.js';
import { attributeChanges, sameTexts } from './element-diff.js';
import {
  applyElementWrite,
  bodyOf,
  type ElementWrite,
  nodeSelectorOf,
  type SelectorStep,
} from './element-write.js';
import { approxSize, utf8Length } from './plan-size.js';
import { repairableOrder, rxcapSources } from './repairable-order.js';
import { insertTest, resolve, stepFor } from './selector-steps.js';
import type { XcapServerProfile } from './server-profile.js';
import {
  equivalentElements,
  identityKey,
  movableToEnd,
  rxcapSiblingOrder,
  type SiblingOrder,
} from './sibling-order.js';

/** Options of {@link planElementWrites}. */
export interface PlanElementWritesOptions {
  /** How the server applies element writes. */
  readonly server: XcapServerProfile;
  /** Where sibling order is free (default {@link rxcapSiblingOrder}). */
  readonly order?: SiblingOrder;
  /**
   * Size in bytes of the new document's text, when the caller knows it (from the cache);
   * otherwise estimated from the tree (only as far as the comparison needs).
   */
  readonly documentBytes?: number;
  /** Bytes a request costs besides its body and selector (request line, headers, Digest). */
  readonly requestOverhead?: number;
  /** More writes than this and the document is PUT whole (each write is a round trip). */
  readonly maxWrites?: number;
  /**
   * Which children of the root hold the data other children are derived from (default
   * `rxcapSources`: the `sipsimple_addressbook` list). Writes are sent as: deletions of
   * derived data, then the writes to the sources, then additions of derived data; so a chain
   * cut after any write leaves a document the next normalize and replay repair (normalize
   * re-derives the missing entries of present items, but keeps entries nobody refers to as
   * another client's: they must go while their item still refers to them).
   */
  readonly isSource?: (rootChild: XmlElement) => boolean;
}

/** A planned write with its selector and body, ready for `XcapClient.put`/`delete`. */
export interface PlannedWrite {
  readonly write: ElementWrite;
  /** The node selector (unencoded), built with the client's `nodeSelector()`. */
  readonly node: string;
  /** The PUT body, undefined for a DELETE. */
  readonly body: string | undefined;
}

/** What to send. */
export type ElementWritePlan =
  /** Nothing changed. */
  | { readonly kind: 'none'; readonly expected: XmlElement | null; readonly bytes: 0 }
  /** Send `writes` in order, each with If-Match of the ETag the previous answer returned. */
  | {
      readonly kind: 'elements';
      readonly writes: readonly PlannedWrite[];
      /** The document the server holds after the writes (equivalent to `after`). */
      readonly expected: XmlElement;
      /** Estimated bytes on the wire (bodies, selectors, request overhead). */
      readonly bytes: number;
      /** Estimated bytes of the whole-document PUT it replaces. */
      readonly documentBytes: number;
    }
  /** PUT (or DELETE, when `expected` is null) the whole document. */
  | {
      readonly kind: 'document';
      readonly expected: XmlElement | null;
      readonly reason: string;
      readonly bytes: number;
    };

const DEFAULT_OVERHEAD = 400;
const DEFAULT_MAX_WRITES = 32;

interface Ctx {
  doc: XmlElement;
  writes: ElementWrite[];
  cost: number;
  readonly server: XcapServerProfile;
  readonly order: SiblingOrder;
  readonly overhead: number;
}

/**
 * Plans the writes that turn `before` (the server's document, as of its ETag) into `after`.
 *
 * @example
 * ```ts
 * const plan = planElementWrites(cached, next, { server: KAMAILIO_XCAP_SERVER });
 * if (plan.kind === 'elements')
 *   for (const w of plan.writes) etag = (await lastValueFrom(w.body === undefined
 *     ? client.delete(auid, { node: w.node, etag })
 *     : client.put(auid, w.body, { node: w.node, etag }))).etag;
 * ```
 */
export function planElementWrites(
  before: XmlElement | null,
  after: XmlElement | null,
  options: PlanElementWritesOptions,
): ElementWritePlan {
  const overhead = options.requestOverhead ?? DEFAULT_OVERHEAD;
  if (before === after || (before !== null && after !== null && sameElement(before, after)))
    return { kind: 'none', expected: before, bytes: 0 };
  if (before === null || after === null)
    return {
      kind: 'document',
      expected: after,
      reason: before === null ? 'new document' : 'document deleted',
      bytes:
        overhead + (after === null ? 0 : (options.documentBytes ?? approxSize(after, Infinity))),
    };
  const ctx: Ctx = {
    doc: before,
    writes: [],
    cost: 0,
    server: options.server,
    order: options.order ?? rxcapSiblingOrder,
    overhead,
  };
  // The root is selected by `*` alone: a document has one root element.
  const ok = writeInside(ctx, [{}], before, after);
  const maxWrites = options.maxWrites ?? DEFAULT_MAX_WRITES;
  const docBytes = options.documentBytes ?? approxSize(after, ok ? ctx.cost : 0);
  const document = (reason: string): ElementWritePlan => ({
    kind: 'document',
    expected: after,
    reason,
    bytes: overhead + docBytes,
  });
  if (!ok) return document(`no element writes express this change on ${ctx.server.name}`);
  if (ctx.writes.length > maxWrites) return document(`${ctx.writes.length} writes`);
  if (ctx.cost >= overhead + docBytes) return document('element writes are not smaller');
  const ordered = repairableOrder(
    ctx.writes,
    before,
    ctx.doc,
    ctx.server,
    options.isSource ?? rxcapSources,
  );
  const writes = ordered.map((write) => ({
    write,
    node: nodeSelectorOf(write).toString(),
    body: bodyOf(write),
  }));
  const bytes = writes.reduce(
    (n, w) => n + overhead + w.node.length + (w.body === undefined ? 0 : utf8Length(w.body)),
    0,
  );
  return { kind: 'elements', writes, expected: ctx.doc, bytes, documentBytes: docBytes };
}

function push(ctx: Ctx, write: ElementWrite, bodyBytes: number): void {
  ctx.doc = applyElementWrite(ctx.doc, write, ctx.server);
  ctx.writes.push(write);
  let selector = 0;
  for (const s of write.path)
    selector +=
      4 +
      (s.position === undefined ? 0 : 4) +
      (s.test === undefined ? 0 : s.test.name.length + quoteAttValue(s.test.value).length + 3);
  ctx.cost += ctx.overhead + selector + bodyBytes;
}

interface Snapshot {
  readonly doc: XmlElement;
  readonly writes: readonly ElementWrite[];
  readonly cost: number;
}
const save = (ctx: Ctx): Snapshot => ({ doc: ctx.doc, writes: ctx.writes.slice(), cost: ctx.cost });
function restore(ctx: Ctx, s: Snapshot): void {
  ctx.doc = s.doc;
  ctx.writes = s.writes.slice();
  ctx.cost = s.cost;
}

/**
 * Brings element child number `index` of the element at `parentPath` (now `b`) to `a`: by
 * writing inside it or by replacing it, whichever costs fewer bytes and is possible on this
 * server. False (and nothing planned) when neither is.
 */
function planChild(
  ctx: Ctx,
  parentPath: readonly SelectorStep[],
  index: number,
  b: XmlElement,
  a: XmlElement,
): boolean {
  if (b === a) return true;
  const parent = resolve(ctx.doc, parentPath);
  const step = stepFor(parent, index, a, ctx.server);
  const path = [...parentPath, step];
  const start = save(ctx);
  const inside = writeInside(ctx, path, b, a);
  const insideEnd = save(ctx);
  const insideCost = inside ? ctx.cost - start.cost : Number.POSITIVE_INFINITY;
  // A replacement stays in place, or (Kamailio) moves to the end where that order is free.
  if (ctx.server.replaceInPlace || movableToEnd(parent, index, ctx.order)) {
    const size = approxSize(a, insideCost);
    if (size < insideCost) {
      restore(ctx, start);
      try {
        push(ctx, { kind: 'put-element', path, element: a }, size);
        if (ctx.cost - start.cost < insideCost) return true;
      } catch {
        // The model refused it (e.g. a value the server cannot match): keep the writes inside.
      }
      restore(ctx, inside ? insideEnd : start);
    }
  }
  return inside;
}

/** Writes inside the element at `path` (now `b`) so that it becomes equivalent to `a`. */
function writeInside(
  ctx: Ctx,
  path: readonly SelectorStep[],
  b: XmlElement,
  a: XmlElement,
): boolean {
  if (b === a) return true;
  if (b.ns !== a.ns || b.name !== a.name) return false;
  // Text is not addressable (RFC 4825 §6.3 selects elements and attributes only).
  if (!sameTexts(b, a)) return false;
  const start = save(ctx);
  const fail = (): boolean => {
    restore(ctx, start);
    return false;
  };
  const be = elementChildren(b);
  const ae = elementChildren(a);
  // Unchanged head and tail by identity (structural sharing), then match the middle by key.
  let head = 0;
  while (head < be.length && head < ae.length && be[head] === ae[head]) head++;
  let tail = 0;
  while (
    tail < be.length - head &&
    tail < ae.length - head &&
    be[be.length - 1 - tail] === ae[ae.length - 1 - tail]
  )
    tail++;
  const bMid = be.slice(head, be.length - tail);
  const aMid = ae.slice(head, ae.length - tail);
  // The same object on both sides is the same child (a sibling's insert or delete shifts it).
  const aAt = new Map<XmlElement, number>();
  for (let j = 0; j < aMid.length; j++) aAt.set(aMid[j]!, j);
  const pairs: [number, number][] = []; // [index in bMid, index in aMid]
  const pairedA = new Set<number>();
  const byKey = new Map<string, number[]>();
  bMid.forEach((x, i) => {
    const j = aAt.get(x);
    if (j !== undefined) {
      pairs.push([i, j]);
      pairedA.add(j);
      return;
    }
    const k = identityKey(x);
    const l = byKey.get(k);
    if (l === undefined) byKey.set(k, [i]);
    else l.push(i);
  });
  const inserted: number[] = [];
  aMid.forEach((x, j) => {
    if (pairedA.has(j)) return;
    const i = byKey.size === 0 ? undefined : byKey.get(identityKey(x))?.shift();
    if (i === undefined) inserted.push(j);
    else pairs.push([i, j]);
  });
  const matched = new Set(pairs.map(([i]) => i));
  const deleted = bMid.map((_, i) => i).filter((i) => !matched.has(i));
  // Matched children must keep their relative order (a reorder is a replacement of the parent).
  pairs.sort((x, y) => x[0] - y[0]);
  for (let k = 1; k < pairs.length; k++) if (pairs[k]![1] < pairs[k - 1]![1]) return fail();

  // 1. Changed children, last first: a replacement that moves to the end shifts only later ones.
  for (let k = pairs.length - 1; k >= 0; k--) {
    const [i, j] = pairs[k]!;
    const bc = bMid[i]!;
    const ac = aMid[j]!;
    // Normalize may rebuild an unchanged child as a new object: equal in meaning, no write.
    if (bc === ac || sameElement(bc, ac)) continue;
    const now = positionOf(resolve(ctx.doc, path), bc);
    if (now < 0 || !planChild(ctx, path, now, bc, ac)) return fail();
  }
  // 2. Deleted children, last first.
  for (let k = deleted.length - 1; k >= 0; k--) {
    const bc = bMid[deleted[k]!]!;
    const parent = resolve(ctx.doc, path);
    const now = positionOf(parent, bc);
    if (now < 0) return fail();
    try {
      push(
        ctx,
        { kind: 'delete-element', path: [...path, stepFor(parent, now, undefined, ctx.server)] },
        0,
      );
    } catch {
      return fail();
    }
  }
  // 3. New children in document order, each at its final position (RFC 4825 §8.2.3) or, on a
  //    server that appends, at the end (checked below).
  for (const j of inserted) {
    const ac = aMid[j]!;
    const parent = resolve(ctx.doc, path);
    const count = elementChildren(parent).length;
    const test = insertTest(parent, ac, ctx.server);
    const target = head + j + 1;
    let step: SelectorStep;
    if (ctx.server.positionalInsert)
      step = test === undefined ? { position: target } : { position: target, test };
    else step = test === undefined ? { position: count + 1 } : { test };
    // Without a test, only a position past the last element inserts (else it replaces).
    if (test === undefined && step.position !== count + 1) return fail();
    try {
      push(
        ctx,
        { kind: 'put-element', path: [...path, step], element: ac },
        approxSize(ac, Infinity),
      );
    } catch {
      return fail();
    }
  }
  // 4. Attributes, last: a changed attribute may be the one `path` selects by.
  const changes = attributeChanges(b, a);
  if (changes === null) return fail();
  if (changes.length > 0) {
    if (!ctx.server.attributeWrites) return fail();
    for (const c of changes) {
      try {
        push(
          ctx,
          c.value === undefined
            ? { kind: 'delete-attribute', path, name: c.name }
            : { kind: 'put-attribute', path, name: c.name, value: c.value },
          c.value?.length ?? 0,
        );
      } catch {
        return fail();
      }
    }
  }
  if (!equivalentElements(resolve(ctx.doc, path), a, ctx.order)) return fail();
  return true;
}
