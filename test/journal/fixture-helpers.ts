import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENT_NAMES, type DocumentName } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import type { Documents, JournalContext } from '../../src/journal/index.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

export const FIXTURE_DIR = REFERENCE_LAYOUT_DIR;

const FILES: Record<DocumentName, string> = {
  'resource-lists': 'resource-lists.xml',
  'rls-services': 'rls-services.xml',
  'pres-rules': 'org.openmobilealliance.pres-rules.xml',
  'dialog-rules': 'org.openxcap.dialog-rules.xml',
  'pres-content': 'org.openmobilealliance.pres-content.xml',
  'pidf-manipulation': 'pidf-manipulation.xml',
};

export function fixtureXml(name: DocumentName): string {
  return readFileSync(join(FIXTURE_DIR, FILES[name]), 'utf8');
}

export function fixtureDocs(): Documents {
  const docs: Documents = {};
  for (const n of DOCUMENT_NAMES) docs[n] = parseXml(fixtureXml(n));
  return docs;
}

// biome-ignore lint/suspicious/noExplicitAny: the JSON fixture is untyped
export const expected: any = JSON.parse(readFileSync(join(FIXTURE_DIR, 'expected.json'), 'utf8'));

export const ctx: JournalContext = {
  xcapRoot: 'http://127.0.0.1:5080/xcap-root',
  xui: 'sip:alice@example.com',
  presRulesAuid: 'org.openmobilealliance.pres-rules',
  supported: new Set(DOCUMENT_NAMES),
};
