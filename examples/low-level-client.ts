/**
 * The low-level XcapClient (the python-xcaplib equivalent): whole documents, node selectors
 * built with the typed builder, conditional requests, and typed errors.
 *
 *   npx tsx examples/low-level-client.ts
 */

import { nodeSelector, XcapClient, XcapHttpError } from 'rxcap';
import { firstValueFrom } from 'rxjs';
import { config } from './config.js';

const client = new XcapClient({
  root: config.root,
  xui: config.id,
  username: config.username,
  password: config.password,
});
const doc = { filename: `example-${Date.now().toString(36)}` }; // a document of our own

const xml =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">' +
  '<list name="friends"><entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry></list>' +
  '</resource-lists>';

// Create it only if it does not exist yet (If-None-Match: *).
const created = await firstValueFrom(
  client.put('resource-lists', xml, { ...doc, ifNoneMatch: '*' }),
);
console.log(`PUT document: ${created.status}, ETag ${created.etag}`);

// Read one element with a node selector (RFC 4825 §6).
const entry = nodeSelector()
  .el('resource-lists')
  .el('list', { name: 'friends' })
  .el('entry', { uri: 'sip:bob@example.com' });
console.log(`selector ${entry} -> ${client.url('resource-lists', { ...doc, node: entry })}`);
const got = await firstValueFrom(client.get('resource-lists', { ...doc, node: entry }));
console.log(`GET element: ${got.status} ${got.body}`);

// Read an attribute.
const uri = await firstValueFrom(client.get('resource-lists', { ...doc, node: entry.attr('uri') }));
console.log(`GET attribute: ${uri.body}`);

// A conditional GET with the ETag we know: 304, nothing transferred.
const again = await firstValueFrom(
  client.get('resource-lists', { ...doc, ifNoneMatch: created.etag ?? '*' }),
);
console.log(`conditional GET: ${again.status}`);

// A write with a stale ETag is refused with a typed error (412), so nothing is overwritten.
try {
  await firstValueFrom(client.put('resource-lists', xml, { ...doc, etag: 'stale-etag' }));
} catch (e) {
  if (!(e instanceof XcapHttpError)) throw e;
  console.log(`stale PUT refused: ${e.code} ${e.status}`);
}

const deleted = await firstValueFrom(
  client.delete('resource-lists', { ...doc, etag: again.etag ?? created.etag ?? undefined }),
);
console.log(`DELETE: ${deleted.status}`);
console.log('done');
