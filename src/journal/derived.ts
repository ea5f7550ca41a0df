/**
 * The derived lists of the resource-lists document, computed from contacts and policies with
 * the reference implementation's (python-sipsimple) set algebra:
 *
 *   granted = (contact-allow − contact-block) ∪ (policy-allow − policy-block − all contact URIs)
 *   blocked = contact-block ∪ (policy-block − all contact URIs)
 *   rls     = contact-subscribe ∪ (policy-subscribe − all contact URIs)
 *
 * for presence (oma_grantedcontacts, oma_blockedcontacts, sipsimple_presence_rls) and dialog
 * (dialog_grantedcontacts, dialog_blockedcontacts, sipsimple_dialog_rls).
 */
import type { ContactData } from '../model/contact.js';
import type { PolicyData } from '../model/policy.js';

/** The six derived lists, by list name, each an ordered set of plain URIs. */
export interface DerivedLists {
  readonly oma_grantedcontacts: readonly string[];
  readonly oma_blockedcontacts: readonly string[];
  readonly dialog_grantedcontacts: readonly string[];
  readonly dialog_blockedcontacts: readonly string[];
  readonly sipsimple_presence_rls: readonly string[];
  readonly sipsimple_dialog_rls: readonly string[];
}

/** Names of the derived lists. */
export const DERIVED_LIST_NAMES = [
  'oma_grantedcontacts',
  'oma_blockedcontacts',
  'dialog_grantedcontacts',
  'dialog_blockedcontacts',
  'sipsimple_presence_rls',
  'sipsimple_dialog_rls',
] as const;

/**
 * Computes the derived lists (in model order: contacts, their URIs, then policies).
 *
 * @example deriveLists(addressbook.contacts.map((c) => c.toJSON()), []).oma_grantedcontacts
 */
export function deriveLists(
  contacts: readonly ContactData[],
  policies: readonly PolicyData[],
): DerivedLists {
  const allContact = new Set<string>();
  for (const c of contacts) for (const u of c.uris) allContact.add(u.uri);

  const pick = (event: 'presence' | 'dialog') => {
    const cAllow = new Set<string>();
    const cBlock = new Set<string>();
    const cSub = new Set<string>();
    for (const c of contacts)
      for (const u of c.uris) {
        if (c[event].policy === 'allow') cAllow.add(u.uri);
        if (c[event].policy === 'block') cBlock.add(u.uri);
        if (c[event].subscribe) cSub.add(u.uri);
      }
    const pAllow = new Set<string>();
    const pBlock = new Set<string>();
    const pSub = new Set<string>();
    for (const p of policies) {
      if (p[event].policy === 'allow') pAllow.add(p.uri);
      if (p[event].policy === 'block') pBlock.add(p.uri);
      if (p[event].subscribe) pSub.add(p.uri);
    }
    const granted = [
      ...[...cAllow].filter((u) => !cBlock.has(u)),
      ...[...pAllow].filter((u) => !pBlock.has(u) && !allContact.has(u)),
    ];
    const blocked = [...cBlock, ...[...pBlock].filter((u) => !allContact.has(u))];
    const rls = [...cSub, ...[...pSub].filter((u) => !allContact.has(u))];
    return { granted: unique(granted), blocked: unique(blocked), rls: unique(rls) };
  };
  const p = pick('presence');
  const d = pick('dialog');
  return {
    oma_grantedcontacts: p.granted,
    oma_blockedcontacts: p.blocked,
    sipsimple_presence_rls: p.rls,
    dialog_grantedcontacts: d.granted,
    dialog_blockedcontacts: d.blocked,
    sipsimple_dialog_rls: d.rls,
  };
}

/** Every URI the addressbook refers to (contact URIs and policy URIs). */
export function referencedUris(
  contacts: readonly ContactData[],
  policies: readonly PolicyData[],
): Set<string> {
  const out = new Set<string>();
  for (const c of contacts) for (const u of c.uris) out.add(u.uri);
  for (const p of policies) out.add(p.uri);
  return out;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
