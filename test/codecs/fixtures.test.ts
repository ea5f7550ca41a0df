import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Condition,
  decodeDialogRules,
  decodePresContent,
  decodePresence,
  decodePresRules,
  decodeResourceLists,
  decodeRlsServices,
  encodeDialogRules,
  encodePresContent,
  encodePresence,
  encodePresRules,
  encodeResourceLists,
  encodeRlsServices,
  NS,
  Pidf,
  parseXml,
  type Ruleset,
  serializeXml,
  type XmlElement,
} from '../../src/codecs/index.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

const DIR = REFERENCE_LAYOUT_DIR;
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
const view = expected.documents_view;
const load = (f: string) => parseXml(new Uint8Array(readFileSync(join(DIR, f))));

/** encode -> serialize -> parse -> decode must give the same payload. */
function roundTrip<T>(x: T, encode: (x: T) => XmlElement, decode: (e: XmlElement) => T): T {
  return decode(parseXml(serializeXml(encode(x))));
}

describe('reference fixtures: resource-lists', () => {
  const doc = decodeResourceLists(load('resource-lists.xml'));
  it('has every list with the expected entries and externals (as sets, decoded)', () => {
    expect(doc.lists.map((l) => l.name).sort()).toEqual(Object.keys(view.resource_lists).sort());
    for (const list of doc.lists) {
      const want = view.resource_lists[list.name!];
      const entries = list.items.flatMap((i) => (i.kind === 'entry' ? [i.uri] : []));
      expect(new Set(entries)).toEqual(new Set(want.entries));
      const externals = list.items.flatMap((i) => (i.kind === 'external' ? [i.anchor] : []));
      expect(new Set(externals)).toEqual(new Set(want.externals ?? []));
    }
  });
  it('keeps the addressbook items of sipsimple_addressbook as foreign elements', () => {
    const ab = doc.lists.find((l) => l.name === 'sipsimple_addressbook')!;
    const names = ab.extensions.map((e) => `${e.ns === NS.addressbook ? 'ab' : e.ns}:${e.name}`);
    expect(names.filter((n) => n === 'ab:contact').length).toBe(
      expected.addressbook.contacts.length,
    );
    expect(names.filter((n) => n === 'ab:group').length).toBe(expected.addressbook.groups.length);
    expect(names.filter((n) => n === 'ab:policy-element').length).toBe(
      expected.addressbook.policies.length,
    );
  });
  it('writes the addressbook list back byte for byte', () => {
    const original = readFileSync(join(DIR, 'resource-lists.xml'), 'utf8');
    const listOf = (xml: string) =>
      xml.slice(xml.indexOf('<rl:list name="sipsimple_addressbook">'));
    expect(listOf(serializeXml(encodeResourceLists(doc)))).toBe(listOf(original).trimEnd());
  });
  it('round-trips through encode with the rl prefix and foreign items untouched', () => {
    const again = roundTrip(doc, encodeResourceLists, decodeResourceLists);
    expect(again).toEqual(doc);
    const xml = serializeXml(encodeResourceLists(doc));
    expect(xml).toContain('<rl:resource-lists xmlns:rl=');
    // Anchors are written with RFC 4825 encoding, entries plain.
    expect(xml).toContain('list%5B@name=%22oma_buddylist%22%5D');
    expect(xml).toContain('<rl:entry uri="sip:bob@example.com"/>');
  });
});

describe('reference fixtures: rls-services', () => {
  const doc = decodeRlsServices(load('rls-services.xml'));
  it('decodes the services', () => {
    expect(
      doc.services.map((s) => ({
        uri: s.uri,
        resource_list: s.source.kind === 'resource-list' ? s.source.uri : null,
        packages: s.packages?.packages,
      })),
    ).toEqual(view.rls_services);
  });
  it('round-trips', () => {
    expect(roundTrip(doc, encodeRlsServices, decodeRlsServices)).toEqual(doc);
  });
});

function viewOf(rules: Ruleset) {
  const cond = (c: Condition) => {
    if (c.kind === 'external-list') return { 'external-list': c.entries.map((e) => e.anc) };
    if (c.kind === 'identity') return { identity: c.ones.map((o) => o.id) };
    return c.kind;
  };
  return rules.rules.map((r) => ({
    id: r.id,
    conditions: r.conditions?.items.map(cond),
    sub_handling: r.actions?.subHandling,
  }));
}

describe('reference fixtures: pres-rules and dialog-rules', () => {
  const pres = decodePresRules(load('org.openmobilealliance.pres-rules.xml'));
  const dialog = decodeDialogRules(load('org.openxcap.dialog-rules.xml'));
  it('decodes rules, conditions and sub-handling', () => {
    expect(viewOf(pres)).toEqual(view.pres_rules);
    expect(viewOf(dialog)).toEqual(view.dialog_rules);
  });
  it('round-trips both and keeps the cp/pr/dr/ocp prefixes', () => {
    expect(roundTrip(pres, encodePresRules, decodePresRules)).toEqual(pres);
    expect(roundTrip(dialog, encodeDialogRules, decodeDialogRules)).toEqual(dialog);
    const xml = serializeXml(encodeDialogRules(dialog));
    expect(xml).toContain('<cp:ruleset xmlns:cp=');
    expect(xml).toContain('<dr:sub-handling>allow</dr:sub-handling>');
  });
  it('does not read a dialog-rules sub-handling as pres-rules', () => {
    const asPres = decodePresRules(load('org.openxcap.dialog-rules.xml'));
    expect(asPres.rules[0]!.actions!.subHandling).toBeUndefined();
    expect(asPres.rules[0]!.actions!.extensions[0]!.ns).toBe(NS.dialogRules);
  });
});

describe('reference fixtures: pres-content', () => {
  const icon = decodePresContent(load('org.openmobilealliance.pres-content.xml'));
  it('decodes the icon bytes', () => {
    expect(icon.mimeType).toBe(expected.status_icon.mime_type);
    expect(icon.descriptions).toEqual([{ value: expected.status_icon.description }]);
    expect(icon.data.length).toBe(expected.status_icon.size);
    expect(createHash('sha256').update(icon.data).digest('hex')).toBe(expected.status_icon.sha256);
  });
  it('writes the same document body as sipsimple', () => {
    const body = readFileSync(join(DIR, 'org.openmobilealliance.pres-content.xml'), 'utf8');
    expect(serializeXml(encodePresContent(icon)).split('\n')[1]).toBe(body.split('\n')[1]);
  });
});

describe('reference fixtures: pidf-manipulation', () => {
  const summary = expected.offline_status.summary;
  it('decodes entity, persons and tuples as sipsimple reads them', () => {
    const p = decodePresence(load('pidf-manipulation.xml'));
    expect(p.entity).toBe(summary.entity);
    expect(
      p.persons.map((x) => ({
        id: x.id,
        activities: x.activities?.values ?? [],
        notes: x.notes.map((n) => ({ text: n.value, lang: n.lang ?? null })),
        timestamp: x.timestamp ?? null,
      })),
    ).toEqual(summary.persons);
    expect(
      p.tuples.map((t) => ({
        id: t.id,
        basic: t.status.basic,
        extended: t.status.extended,
        contact: t.contact?.uri,
        notes: t.notes.map((n) => ({ text: n.value, lang: n.lang ?? null })),
      })),
    ).toEqual(summary.services);
    expect(roundTrip(p, encodePresence, decodePresence)).toEqual(p);
  });
  it('Pidf parses the stored document and writes an equal one', () => {
    const pidf = Pidf.parse(expected.offline_status.pidf_xml);
    expect(pidf.entity).toBe('sip:alice@example.com');
    expect(Pidf.parse(pidf.toXml()).equals(pidf)).toBe(true);
    expect(Object.isFrozen(pidf)).toBe(true);
    const rebuilt = Pidf.fromPresence(pidf.presence);
    expect(Pidf.parse(rebuilt.toXml()).presence).toEqual(pidf.presence);
    expect(rebuilt.toXml()).toContain('<rpid:activities><rpid:away/></rpid:activities>');
  });
});
