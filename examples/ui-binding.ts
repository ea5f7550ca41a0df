/**
 * A UI-style binding: a tiny "view" that re-renders whenever `addressbook$` or `state$` emits.
 * The streams are hot and replay their latest value, so a view that mounts late renders at once.
 *
 *   npx tsx examples/ui-binding.ts
 */

import { Contact, ContactURI, createXcapManager, memoryStorage } from 'rxcap';
import { combineLatest, filter, firstValueFrom, map } from 'rxjs';
import { config } from './config.js';

const manager = createXcapManager({
  account: {
    id: config.id,
    auth: { username: config.username, password: config.password },
    xcap: { root: config.root },
    sip: { outboundProxy: config.sipProxy },
  },
  storage: memoryStorage(),
});

// The view model: what a React/Vue/Svelte component would bind to.
const view$ = combineLatest([manager.state$, manager.addressbook$]).pipe(
  map(([{ state }, book]) => ({
    status: state === 'insync' ? 'up to date' : `${state}…`,
    rows: book.contacts.map((c) => `${c.name} <${c.uris[0]?.uri ?? 'no address'}>`),
  })),
);
const unmount = view$.subscribe((v) =>
  console.log(`[view] ${v.status}: ${v.rows.length} contacts`),
);

await manager.start();
await firstValueFrom(manager.state$.pipe(filter((s) => s.state === 'insync')));

const name = `Example ${Date.now().toString(36)}`;
manager.addContact(
  new Contact({ name, uris: [new ContactURI({ uri: 'sip:example@example.org' })] }),
);
await firstValueFrom(
  manager.addressbook$.pipe(filter((b) => b.contacts.some((c) => c.name === name))),
);

// A second view mounting late gets the current value immediately (replay).
const late = await firstValueFrom(view$);
console.log(
  `[late view] ${late.status}: ${late.rows.includes(`${name} <sip:example@example.org>`) ? 'sees' : 'misses'} ${name}`,
);

manager.removeContact(
  (await firstValueFrom(manager.addressbook$)).contacts.find((c) => c.name === name)!,
);
await firstValueFrom(
  manager.addressbook$.pipe(filter((b) => !b.contacts.some((c) => c.name === name))),
);
unmount.unsubscribe();
await manager.stop();
console.log('done');
