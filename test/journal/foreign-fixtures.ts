/**
 * The reference layout with items python3-sipsimple writes and rxcap cannot show in its model:
 * a contact whose `uris/@default` names a URI that no longer exists, and a contact URI with
 * `uri=""` (with the derived-list entries sipsimple writes for it).
 */
import { fixtureXml } from './fixture-helpers.js';

/** Bob's default URI id in the fixture. */
const BOB_DEFAULT = 'default="id1720000000002511962465"';
/** The id the dangling default names (no URI has it). */
export const DANGLING_DEFAULT = 'id1720000000099999999999';
/** The id of the `uri=""` contact URI. */
export const EMPTY_URI = 'id1720000000099999999998';

function replaced(xml: string, from: string, to: string): string {
  if (!xml.includes(from)) throw new Error(`fixture changed: ${from} not found`);
  return xml.replace(from, to);
}

/** resource-lists where Bob's `uris/@default` names no URI. */
export function withDanglingDefault(): string {
  return replaced(fixtureXml('resource-lists'), BOB_DEFAULT, `default="${DANGLING_DEFAULT}"`);
}

/** resource-lists where Bob has a third URI with `uri=""`, listed in his derived lists. */
export function withEmptyUri(): string {
  let xml = replaced(
    fixtureXml('resource-lists'),
    '<addressbook:uri id="id1720000000012987241422"',
    `<addressbook:uri id="${EMPTY_URI}" uri="" type="Other"><sipsimple:attributes/></addressbook:uri><addressbook:uri id="id1720000000012987241422"`,
  );
  for (const list of ['oma_grantedcontacts', 'dialog_grantedcontacts', 'sipsimple_presence_rls'])
    xml = replaced(xml, `<rl:list name="${list}">`, `<rl:list name="${list}"><rl:entry uri=""/>`);
  return xml;
}
