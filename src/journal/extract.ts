/**
 * Extraction: documents -> the model the manager emits (sipsimple's XCAPManagerDidReloadData).
 * Lenient: items the model cannot hold (an id that is not an NCName, a URI rxcap cannot
 * validate) are left out rather than failing the whole extraction; the documents keep them.
 */
import { ADDRESSBOOK_LIST, decodeAddressbookList } from '../codecs/addressbook.js';
import { documentUri } from '../codecs/addressbook-uri.js';
import { Pidf } from '../codecs/pidf.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import { is, NS, type XmlElement } from '../codecs/xml/tree.js';
import { Addressbook, DialogRules, PresenceRules } from '../model/addressbook.js';
import { Contact, type ContactData } from '../model/contact.js';
import { ContactURI } from '../model/contact-uri.js';
import { Group, type GroupData } from '../model/group.js';
import type { Icon } from '../model/icon.js';
import { OfflineStatus } from '../model/offline-status.js';
import { Policy } from '../model/policy.js';
import { iconFromDocument } from './icon-document.js';
import { topList } from './list-edit.js';
import { DIALOG_RULES, defaultPolicyOf, PRESENCE_RULES } from './normalize-rules.js';
import type { Documents, JournalContext } from './types.js';

/** Everything the manager emits after a sync. */
export interface ExtractedData {
  addressbook: Addressbook;
  presenceRules: PresenceRules;
  dialogRules: DialogRules;
  icon: Icon | null;
  /** The stored PIDF; null when there is none or the PIDF codec cannot decode it. */
  offlineStatus: OfflineStatus<Pidf> | null;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Models built from decoded items, by the decoded data. The codec memoizes decoding per element
 * and trees are immutable, so an item element an edit did not touch yields the same data object
 * and, here, the same model object: extracting after a one-contact edit builds one contact, not
 * 10,000 (test/journal/extract-incremental.property.test.ts compares it with a fresh extraction).
 */
const contactModels = new WeakMap<object, Contact | null>();
const policyModels = new WeakMap<object, Policy | null>();
/** A group's model with the member models it was built from (reused while they are the same). */
const groupModels = new WeakMap<object, { members: readonly Contact[]; group: Group | null }>();
/** The addressbook of an unchanged `sipsimple_addressbook` list is the same object. */
const books = new WeakMap<XmlElement, Addressbook>();

function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  if (cache.has(key)) return cache.get(key) as V;
  const v = make();
  cache.set(key, v);
  return v;
}

function contactModel(c: ContactData): Contact | null {
  return memo(contactModels, c, () => {
    const uris: ContactURI[] = [];
    for (const u of c.uris) {
      const uri = attempt(() => new ContactURI(u));
      if (uri) uris.push(uri);
    }
    const def =
      c.defaultUri !== null && uris.some((u) => u.id === c.defaultUri) ? c.defaultUri : null;
    return attempt(() => new Contact({ ...c, uris, defaultUri: def })) ?? null;
  });
}

function groupModel(g: GroupData, byId: ReadonlyMap<string, Contact>): Group | null {
  // Members that are not contacts are left out (the reference implementation drops them).
  const members = g.contacts.flatMap((id) => {
    const c = byId.get(id);
    return c ? [c] : [];
  });
  const hit = groupModels.get(g);
  if (hit !== undefined && sameItems(hit.members, members)) return hit.group;
  const group = attempt(() => new Group({ ...g, contacts: members })) ?? null;
  groupModels.set(g, { members, group });
  return group;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads the addressbook from a resource-lists document. Items an edit did not touch keep their
 * model objects, and an unchanged addressbook list gives the same {@link Addressbook}.
 *
 * @example extractAddressbook(docs['resource-lists']).contacts.length
 */
export function extractAddressbook(doc: Documents['resource-lists']): Addressbook {
  const list = doc ? topList(doc, ADDRESSBOOK_LIST) : undefined;
  if (list === undefined) return buildAddressbook(undefined);
  return memo(books, list, () => buildAddressbook(list));
}

function buildAddressbook(list: XmlElement | undefined): Addressbook {
  const book = decodeAddressbookList(list);
  const contacts: Contact[] = [];
  for (const c of book.contacts) {
    const contact = contactModel(c);
    if (contact) contacts.push(contact);
  }
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const groups: Group[] = [];
  for (const g of book.groups) {
    const group = groupModel(g, byId);
    if (group) groups.push(group);
  }
  const policies: Policy[] = [];
  for (const p of book.policies) {
    const policy = memo(policyModels, p, () => attempt(() => new Policy(p)) ?? null);
    if (policy) policies.push(policy);
  }
  return new Addressbook(contacts, groups, policies);
}

/** Per document root: what was extracted from it (trees are immutable). */
const presenceRules = new WeakMap<XmlElement, PresenceRules>();
const dialogRules = new WeakMap<XmlElement, DialogRules>();
const offlineStatuses = new WeakMap<XmlElement, OfflineStatus<Pidf> | null>();
const icons = new WeakMap<XmlElement, { location: string; icon: Icon | null }>();

/**
 * The offline status a PIDF document holds. The PIDF codec reads text, so the tree is
 * serialized once per document version: an unchanged PIDF (a 7.5 MB one cost 2 s per
 * unrelated edit) is never serialized or decoded again.
 */
function offlineStatusOf(pidf: XmlElement): OfflineStatus<Pidf> | null {
  return memo(
    offlineStatuses,
    pidf,
    () => attempt(() => new OfflineStatus(Pidf.parse(serializeXml(pidf)))) ?? null,
  );
}

function iconOf(doc: XmlElement | null | undefined, location: string): Icon | null {
  if (!doc) return iconFromDocument(doc, location);
  const hit = icons.get(doc);
  if (hit !== undefined && hit.location === location) return hit.icon;
  const icon = iconFromDocument(doc, location);
  icons.set(doc, { location, icon });
  return icon;
}

function rulesOf<R>(
  cache: WeakMap<XmlElement, R>,
  doc: XmlElement | null | undefined,
  make: (d: XmlElement | null | undefined) => R,
): R {
  if (!doc) return make(doc);
  return memo(cache, doc, () => make(doc));
}

/**
 * The model the documents hold.
 *
 * `meta.iconLocation` is the server's X-Alternative-Location for the icon, when it sent one;
 * otherwise the icon's location is its document's XCAP URI.
 *
 * @example
 * ```ts
 * const { addressbook, presenceRules, icon } = extractData(docs, ctx);
 * ```
 */
export function extractData(
  docs: Documents,
  ctx: JournalContext,
  meta: { iconLocation?: string } = {},
): ExtractedData {
  const iconLocation =
    meta.iconLocation ??
    documentUri(
      ctx.xcapRoot,
      'org.openmobilealliance.pres-content',
      ctx.xui,
      'oma_status-icon/index',
    );
  const pidf = ctx.supported.has('pidf-manipulation') ? docs['pidf-manipulation'] : null;
  return {
    addressbook: extractAddressbook(docs['resource-lists']),
    presenceRules: rulesOf(
      presenceRules,
      docs['pres-rules'],
      (d) => new PresenceRules(defaultPolicyOf(d, PRESENCE_RULES)),
    ),
    dialogRules: ctx.supported.has('dialog-rules')
      ? rulesOf(
          dialogRules,
          docs['dialog-rules'],
          (d) => new DialogRules(defaultPolicyOf(d, DIALOG_RULES)),
        )
      : new DialogRules(null),
    icon: ctx.supported.has('pres-content') ? iconOf(docs['pres-content'], iconLocation) : null,
    offlineStatus: pidf && is(pidf, NS.pidf, 'presence') ? offlineStatusOf(pidf) : null,
  };
}
