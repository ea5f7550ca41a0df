/**
 * A contact list bound to rxcap's observables, in the browser: the addressbook from IndexedDB
 * at once (also offline), then synced with the XCAP server; add, rename and remove; remote
 * changes through xcap-diff over WebSocket. One tab per account syncs; another tab waits.
 *
 * Settings come from the query string (a demo: a real application asks for the password):
 * `?id=sip:alice@example.com&password=…&root=…&ws=ws://host:port/ws`. Without `root` the XCAP
 * server is the page's own origin (`/xcap-root`, through a same-origin reverse proxy such as
 * examples/web/serve.ts); with another origin, that server must answer CORS.
 */
import {
  type Addressbook,
  Contact,
  ContactURI,
  createXcapManager,
  indexedDbStorage,
  sipDiffPort,
} from 'rxcap/browser';

const q = new URLSearchParams(location.search);
const id = q.get('id') ?? 'sip:alice@example.com';
const ws = q.get('ws');
const $ = (sel: string) => document.querySelector(sel) as HTMLElement;

const storage = indexedDbStorage({
  whenLocked: 'wait',
  onWait: () => {
    $('#owner').textContent = 'open in another tab: waiting for it to close';
  },
});
const manager = createXcapManager({
  account: {
    id,
    auth: { password: q.get('password') ?? '' },
    xcap: { root: q.get('root') ?? new URL('/xcap-root', location.href).href },
    ...(ws ? { sip: { outboundProxy: ws } } : {}),
  },
  storage,
  ...(ws ? { sip: sipDiffPort() } : {}),
  pollPeriod: Number(q.get('poll') ?? 120_000),
  backoff: { maxDelay: Number(q.get('maxDelay') ?? 300_000) },
});

manager.state$.subscribe(({ state }) => {
  $('#status').textContent = state;
});
manager.error$.subscribe((e) => {
  $('#error').textContent = `${e.code}: ${e.message}`;
});
manager.addressbook$.subscribe(render);

function render(book: Addressbook): void {
  const list = $('#contacts');
  list.replaceChildren(
    ...[...book.contacts]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => {
        const li = document.createElement('li');
        li.dataset.id = c.id;
        li.dataset.name = c.name;
        const name = Object.assign(document.createElement('input'), {
          className: 'name',
          value: c.name,
        });
        const uri = Object.assign(document.createElement('span'), {
          className: 'uri',
          textContent: c.uris.map((u) => u.uri).join(', '),
        });
        const rename = button('Rename', () =>
          edit(() => manager.updateContact(c.id, { name: name.value })),
        );
        const remove = button('Remove', () => edit(() => manager.removeContact(c.id)));
        li.append(name, uri, rename, remove);
        return li;
      }),
  );
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = Object.assign(document.createElement('button'), { textContent: label, type: 'button' });
  b.addEventListener('click', onClick);
  return b;
}

/** Runs an edit (validated at once, journaled), then waits until the journal is in IndexedDB. */
function edit(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    $('#error').textContent = String(e);
    return;
  }
  $('#saved').textContent = 'saving…';
  manager.flush().then(
    () => {
      $('#saved').textContent = 'edits saved in this browser';
    },
    (e: unknown) => {
      $('#error').textContent = String(e);
    },
  );
}

$('#add').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const data = new FormData(form);
  edit(() =>
    manager.addContact(
      new Contact({
        name: String(data.get('name')),
        uris: [new ContactURI({ uri: String(data.get('uri')), type: 'SIP' })],
      }),
    ),
  );
  form.reset();
});

// The account's lock goes with the page; closing the manager lets another tab take over at once.
addEventListener('pagehide', () => {
  void manager.close();
});

await manager.load(); // waits here while another tab owns the account
$('#owner').textContent = 'this tab syncs';
await manager.start();
