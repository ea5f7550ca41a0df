/**
 * The programs the packaging test compiles against the installed tarball, as a user would write
 * them: an ES module and a CommonJS module. Both print the same JSON.
 */

const BODY = `
const manager: XcapManager = createXcapManager({
  account: { id: 'alice@example.com', xcap: { root: 'http://127.0.0.1:9/xcap-root' } },
  storage: memoryStorage(),
});
const contact = new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });
const client = new XcapClient({ root: 'https://xcap.example.com/xcap-root', xui: 'sip:alice@example.com' });
const server = createInMemoryXcapServer();
`;

const REPORT = `({
  sameRxjs: isObservable(manager.state$) && manager.state$ instanceof Observable,
  state: change.state,
  contact: contact.name,
  url: client.url('resource-lists'),
  testingRoot: server.root,
})`;

export const USER_ESM = `import { firstValueFrom, isObservable, Observable } from 'rxjs';
import { Contact, ContactURI, createXcapManager, memoryStorage, XcapClient, type XcapManager } from 'rxcap';
import { createInMemoryXcapServer } from 'rxcap/testing';
${BODY}
const change = await firstValueFrom(manager.state$);
console.log(JSON.stringify(${REPORT}));
await manager.close();
`;

export const USER_CJS = `import { firstValueFrom, isObservable, Observable } from 'rxjs';
import { Contact, ContactURI, createXcapManager, memoryStorage, XcapClient, type XcapManager } from 'rxcap';
import { createInMemoryXcapServer } from 'rxcap/testing';
${BODY}
void firstValueFrom(manager.state$).then(async (change) => {
  console.log(JSON.stringify(${REPORT}));
  await manager.close();
});
`;
