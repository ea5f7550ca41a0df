/**
 * xcap-diff patches instead of whole documents: when a NOTIFY's `<document>` carries the
 * complete RFC 5261 patch from `previous-etag` to `new-etag` (RFC 5874 §4.1), the NOTIFY is
 * trusted (see `DiffPatchTrust`: over TLS to the SIP server, or the account opted in) and the
 * cached document has ETag `previous-etag`, the fetch pipeline applies the patch to the cached
 * tree and sends a GET with `If-None-Match: new-etag`: a 304 confirms that the server's
 * document is the patched one, and only then is it stored with ETag `new-etag` (it is the base
 * of the next PUT: a wrong patch must not be written back over another device's change). The
 * patched document then goes exactly the way of a fetched one (`fetched`, normalize, journal
 * replay, `emitData`). Any mismatch, patch error or 200 answer uses the server's document.
 *
 * The transition only carries patches from `remoteChanged` to the `fetch` command (and keeps
 * those that arrive while busy with the pending fetch); everything here is pure.
 *
 * Kamailio's xcap_server never sends patches (test-server/README.md: "no patches"), so this
 * path has no integration test; marble tests with a fake diff port cover it.
 */
import { auidOf, DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import type { XcapPatchOp } from '../codecs/xcap-diff.js';
import { applyXcapDiffPatch } from '../codecs/xcap-diff-patch.js';
import type { StoredDocument } from './events.js';
import type { DiffDocument, DocumentEngine } from './ports.js';

/**
 * A complete patch of one document: applied to version `previousEtag` it gives `newEtag`.
 *
 * @example const p: DocumentPatch = { previousEtag: 'e1', newEtag: 'e2', ops: diffDocument.patch };
 */
export interface DocumentPatch {
  readonly previousEtag: string;
  readonly newEtag: string;
  readonly ops: readonly XcapPatchOp[];
}

/**
 * Complete patches by document name.
 *
 * @example const patches: PatchSet = { 'resource-lists': { previousEtag: 'e1', newEtag: 'e2', ops } };
 */
export type PatchSet = Partial<Record<DocumentName, DocumentPatch>>;

/**
 * The most patch operations rxcap applies from one NOTIFY (all documents together). Past it
 * every document of the NOTIFY is fetched instead: a change that large costs less as one GET
 * than as a patch, and a peer cannot make the event loop apply an unbounded list (regression
 * test "a NOTIFY with more operations than the cap is fetched, not applied").
 *
 * @example MAX_PATCH_OPERATIONS // 1000
 */
export const MAX_PATCH_OPERATIONS = 1000;

/**
 * The complete patches among the documents of a NOTIFY, for the named documents. A document
 * without a patch, with an incomplete one (RFC 5874 §4.1: no `previous-etag`, or
 * `<body-not-changed/>`) or deleted (`new-etag` absent) has none: it is fetched. None at all
 * when they hold more than {@link MAX_PATCH_OPERATIONS} operations together.
 *
 * @example
 * ```ts
 * patchesOfDiff(event.documents, ['resource-lists'], 'pres-rules');
 * // { 'resource-lists': { previousEtag: 'e1', newEtag: 'e2', ops: [...] } }
 * ```
 */
export function patchesOfDiff(
  documents: readonly DiffDocument[],
  names: readonly DocumentName[],
  presRulesAuid: string,
): PatchSet | undefined {
  let out: PatchSet | undefined;
  let count = 0;
  for (const n of names) {
    const d = documents.find((x) => x.auid === auidOf(n, presRulesAuid));
    if (
      d?.patch === undefined ||
      d.patchComplete !== true ||
      d.patch.length === 0 ||
      typeof d.previousEtag !== 'string' ||
      d.newEtag === null
    )
      continue;
    count += d.patch.length;
    if (count > MAX_PATCH_OPERATIONS) return undefined;
    out = { ...out, [n]: { previousEtag: d.previousEtag, newEtag: d.newEtag, ops: d.patch } };
  }
  return out;
}

/**
 * The patches of `patches` for the documents in `names` (undefined when none is left).
 *
 * @example patchesFor({ 'pres-rules': p }, ['resource-lists']) // undefined
 */
export function patchesFor(
  patches: PatchSet | undefined,
  names: readonly DocumentName[],
): PatchSet | undefined {
  if (patches === undefined) return undefined;
  let out: PatchSet | undefined;
  for (const n of names) {
    const p = patches[n];
    if (p !== undefined) out = { ...out, [n]: p };
  }
  return out;
}

/**
 * Patches for a pending fetch: those of a fetch already pending, overridden per document by
 * the newer ones. A stale patch is harmless: it applies only to a cached `previousEtag`.
 *
 * @example mergePatches(context.pendingPatches, event.patches)
 */
export function mergePatches(
  older: PatchSet | undefined,
  newer: PatchSet | undefined,
): PatchSet | undefined {
  if (older === undefined) return newer;
  if (newer === undefined) return older;
  const out: PatchSet = {};
  for (const n of DOCUMENT_NAMES) {
    const p = newer[n] ?? older[n];
    if (p !== undefined) out[n] = p;
  }
  return out;
}

/**
 * The document the patch makes of the cached one, exactly as a GET would have stored it
 * (serialized, parsed again, ETag `newEtag`, kept headers), or null when the GET is needed:
 * no patch, no cached version, another cached ETag, or a patch that does not apply (an
 * `XcapDiffPatchError`: the server's document is not the one we hold).
 *
 * @example
 * ```ts
 * const doc = patchedDocument(cache['resource-lists'], patches['resource-lists'], engine);
 * if (doc === null) get(); else store(doc);
 * ```
 */
export function patchedDocument(
  known: StoredDocument | null | undefined,
  patch: DocumentPatch | undefined,
  engine: DocumentEngine,
): StoredDocument | null {
  if (patch === undefined || known === undefined || known === null || known.etag === null)
    return null;
  if (bareEtag(known.etag) !== bareEtag(patch.previousEtag)) return null;
  try {
    const content = engine.serialize(applyXcapDiffPatch(known.root, patch.ops));
    return {
      content,
      etag: patch.newEtag,
      // Parsed from the text, like a fetched document (and like the cache after a restart).
      root: engine.parse(content),
      ...(known.headers ? { headers: known.headers } : {}),
    };
  } catch {
    // Patch errors (RFC 5261 §5.1) and results we cannot serialize: the GET is always right.
    return null;
  }
}

/**
 * An ETag without weakness marker and quotes (servers differ in quoting).
 *
 * @example bareEtag('W/"abc"') // 'abc'
 */
export function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replaceAll('"', '');
}
