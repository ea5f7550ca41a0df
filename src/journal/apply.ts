/**
 * Applying operations to documents: pure functions of the documents, no I/O.
 *
 * Each operation addresses elements by id, so it applies to whatever another client did
 * meanwhile (operations do not depend on a specific version of the documents). Every
 * operation runs normalize after its edit, which recomputes the derived lists, the RLS services
 * and the managed rules. A document that did not change keeps its object identity, and
 * `changed` lists only documents whose content changed; applying an operation twice is the same
 * as applying it once. A missing target is a no-op reported in `outcome.skipped`.
 */

import { DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import { Pidf } from '../codecs/pidf.js';
import { parseXml } from '../codecs/xml/parse.js';
import { is, NS, sameElement, type XmlElement } from '../codecs/xml/tree.js';
import { Icon } from '../model/icon.js';
import { runAddressbookOperation } from './apply-addressbook.js';
import { applyBatch } from './batch.js';
import { iconDocument, sameIcon } from './icon-document.js';
import { DIALOG_RULES, PRESENCE_RULES, setDefaultPolicy } from './normalize-rules.js';
import type { Operation } from './operations.js';
import { isSkip, normalizeAll, type Step, validate } from './step.js';
import type { Documents, JournalContext, OperationOutcome } from './types.js';

function run(docs: Documents, op: Operation, ctx: JournalContext): Step {
  const book = runAddressbookOperation(docs, op, ctx);
  if (book !== undefined) return book;
  switch (op.type) {
    case 'normalize':
      return normalizeAll(docs, ctx);
    case 'setDefaultPresencePolicy':
    case 'setDefaultDialogPolicy': {
      const name: DocumentName =
        op.type === 'setDefaultPresencePolicy' ? 'pres-rules' : 'dialog-rules';
      if (!ctx.supported.has(name)) return { skipped: `${name} is not supported by the server` };
      const flavor = name === 'pres-rules' ? PRESENCE_RULES : DIALOG_RULES;
      const policy = op.policy;
      if (!['allow', 'block', 'polite-block', 'confirm'].includes(policy))
        return { skipped: `invalid operation data: policy ${String(policy)}` };
      const base = normalizeAll(docs, ctx);
      return { ...base, [name]: setDefaultPolicy(base[name], ctx, flavor, policy) };
    }

    case 'setStatusIcon': {
      if (!ctx.supported.has('pres-content'))
        return { skipped: 'pres-content is not supported by the server' };
      const base = normalizeAll(docs, ctx);
      if (op.icon === null) return { ...base, 'pres-content': null };
      const icon = op.icon;
      const ok = validate(() => Icon.fromJSON({ ...icon, location: null }));
      if (isSkip(ok)) return ok;
      if (sameIcon(base['pres-content'], icon)) return base;
      return { ...base, 'pres-content': iconDocument(icon) };
    }
    case 'setOfflineStatus': {
      if (!ctx.supported.has('pidf-manipulation'))
        return { skipped: 'pidf-manipulation is not supported by the server' };
      const base = normalizeAll(docs, ctx);
      if (op.pidf === null) return { ...base, 'pidf-manipulation': null };
      const pidf = op.pidf;
      const doc = validate(() => parsePidf(pidf));
      if (isSkip(doc)) return doc;
      return { ...base, 'pidf-manipulation': doc };
    }
    default: {
      const unknown: { type?: unknown } = op;
      return { skipped: `unknown operation type ${String(unknown.type)}` };
    }
  }
}

/**
 * Parses a PIDF document (RFC 3863 `<presence>`); throws when it is not one.
 *
 * @example parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>')
 */
export function parsePidf(xml: string): XmlElement {
  const doc = parseXml(xml);
  if (!is(doc, NS.pidf, 'presence')) throw new Error('not a PIDF document (RFC 3863 <presence>)');
  Pidf.parse(xml); // the PIDF codec's checks (entity, tuple ids...)
  return doc;
}

/**
 * Applies one operation. Documents it did not change keep their identity; `outcome.changed`
 * names the documents whose content changed (null = delete on the server).
 *
 * @example
 * ```ts
 * const { docs: next, outcome } = applyOperation(docs, operations.removeContact('id1'), ctx);
 * for (const name of outcome.changed) put(name, next[name]);
 * ```
 */
export function applyOperation(
  docs: Documents,
  op: Operation,
  ctx: JournalContext,
): { docs: Documents; outcome: OperationOutcome } {
  const step = run(docs, op, ctx);
  if (isSkip(step)) return { docs, outcome: { changed: [], skipped: step.skipped } };
  const changed: DocumentName[] = [];
  const out: Documents = { ...docs };
  for (const name of DOCUMENT_NAMES) {
    const a = docs[name] ?? null;
    const b = step[name] ?? null;
    if (a === b) continue;
    if (a !== null && b !== null && sameElement(a, b)) continue;
    out[name] = b;
    changed.push(name);
  }
  return { docs: changed.length === 0 ? docs : out, outcome: { changed } };
}

/**
 * Applies operations in order: the same documents as applying them one at a time with
 * {@link applyOperation}, but consecutive addressbook operations recompute the derived lists
 * once instead of once each (batch.ts; a 1000-operation import is linear, not quadratic).
 * Each outcome's `changed` names the documents whose content that operation changed relative
 * to the documents before it (as one at a time; the derived lists an addressbook edit implies
 * count as its change), and `skipped` why it was a no-op. Documents whose content the batch
 * did not change keep their identity.
 *
 * @example const { docs: next, outcomes } = applyOperations(docs, journal, ctx);
 */
export function applyOperations(
  docs: Documents,
  ops: readonly Operation[],
  ctx: JournalContext,
): { docs: Documents; outcomes: OperationOutcome[] } {
  return applyBatch(docs, ops, ctx, applyOperation);
}
