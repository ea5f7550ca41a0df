/**
 * Extraction: documents -> the model the manager emits (sipsimple's XCAPManagerDidReloadData).
 * Lenient: items the model cannot hold (an id that is not an NCName, a URI rxcap cannot
 * validate) are left out rather than failing the whole extraction; the documents keep them.
 */
import { ADDRESSBOOK_LIST, decodeAddressbookList } from '../codecs/addressbook.js';
import { documentUri } from '../codecs/addressbook-uri.js';
import { Pidf } from '../codecs/pidf.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import { is, NS } from '../codecs/xml/tree.js';
import { Addressbook, DialogRules, PresenceRules } from '../model/addressbook.js';
import { Contact } from '../model/contact.js';
import { ContactURI } from '../model/contact-uri.js';
import { Group } from '../model/group.js';
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
 * Reads the addressbook from a resource-lists document.
 *
 * @example extractAddressbook(docs['resource-lists']).contacts.length
 */
export function extractAddressbook(doc: Documents['resource-lists']): Addressbook {
  const book = decodeAddressbookList(doc ? topList(doc, ADDRESSBOOK_LIST) : undefined);
  const contacts: Contact[] = [];
  for (const c of book.contacts) {
    const uris: ContactURI[] = [];
    for (const u of c.uris) {
      const uri = attempt(() => new ContactURI(u));
      if (uri) uris.push(uri);
    }
    const def =
      c.defaultUri !== null && uris.some((u) => u.id === c.defaultUri) ? c.defaultUri : null;
    const contact = attempt(() => new Contact({ ...c, uris, defaultUri: def }));
    if (contact) contacts.push(contact);
  }
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const groups: Group[] = [];
  for (const g of book.groups) {
    // Members that are not contacts are left out (the reference implementation drops them).
    const members = g.contacts.flatMap((id) => {
      const c = byId.get(id);
      return c ? [c] : [];
    });
    const group = attempt(() => new Group({ ...g, contacts: members }));
    if (group) groups.push(group);
  }
  const policies: Policy[] = [];
  for (const p of book.policies) {
    const policy = attempt(() => new Policy(p));
    if (policy) policies.push(policy);
  }
  return new Addressbook(contacts, groups, policies);
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
    presenceRules: new PresenceRules(defaultPolicyOf(docs['pres-rules'], PRESENCE_RULES)),
    dialogRules: new DialogRules(
      ctx.supported.has('dialog-rules')
        ? defaultPolicyOf(docs['dialog-rules'], DIALOG_RULES)
        : null,
    ),
    icon: ctx.supported.has('pres-content')
      ? iconFromDocument(docs['pres-content'], iconLocation)
      : null,
    offlineStatus:
      pidf && is(pidf, NS.pidf, 'presence')
        ? (attempt(() => new OfflineStatus(Pidf.parse(serializeXml(pidf)))) ?? null)
        : null,
  };
}
