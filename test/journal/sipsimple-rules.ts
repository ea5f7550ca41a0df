import { expect } from 'vitest';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { attr, NS, textOf, type XmlElement } from '../../src/codecs/xml/tree.js';
import type { Documents } from '../../src/journal/index.js';

const ID = /^[a-z_][a-z0-9_.-]*$/i;

/**
 * The checks python3-sipsimple applies when it reads a document back (fixture README quirk 13):
 * one violation makes it reject the whole document.
 */
export function expectAcceptedBySipsimple(docs: Documents): void {
  for (const name of DOCUMENT_NAMES) {
    const doc = docs[name];
    if (doc) visit(doc);
  }
}

function visit(e: XmlElement): void {
  if (e.ns === NS.addressbook) {
    if (['contact', 'group', 'policy-element', 'uri'].includes(e.name))
      expect(attr(e, 'id'), `${e.name}/@id`).toMatch(ID);
    if (e.name === 'subscribe') expect(['true', 'false']).toContain(textOf(e));
    if (e.name === 'policy') expect(['allow', 'block', 'default']).toContain(textOf(e));
    if (e.name === 'contact_id') expect(textOf(e)).toMatch(ID);
  }
  if (e.ns === NS.resourceLists && e.name === 'list') {
    // rl:entry, rl:list, rl:external and rl:entry-ref before any foreign-namespace element.
    let foreign = false;
    for (const c of e.children) {
      if (c.type !== 'element') continue;
      if (c.ns !== NS.resourceLists) foreign = true;
      else if (foreign && c.name !== 'display-name')
        throw new Error(`rl:${c.name} after a foreign element`);
    }
  }
  // XCAP URIs with a node selector: `"`, `[`, `]` must be percent-encoded (xs:anyURI).
  const xcapUris = [
    e.ns === NS.resourceLists && e.name === 'external' ? attr(e, 'anchor') : undefined,
    e.ns === NS.omaCommonPolicy && e.name === 'entry' ? attr(e, 'anc') : undefined,
    e.ns === NS.rlsServices && e.name === 'resource-list' ? textOf(e) : undefined,
  ];
  for (const u of xcapUris) if (u !== undefined) expect(u).not.toMatch(/["[\]]/);
  for (const c of e.children) if (c.type === 'element') visit(c);
}
