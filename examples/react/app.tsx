/**
 * rxcap bound to React: one `useSyncExternalStore(manager.subscribe, manager.getSnapshot)`
 * gives a component every stream's latest value (status, local views, confirmed data, ...) as
 * one immutable snapshot; React re-renders when it changes. Edits are plain method calls on the
 * manager; the local view shows them at once, marked until the server has them.
 *
 * Settings come from the query string (a demo: a real application asks for the password):
 * `?id=sip:alice@example.com&password=…&poll=…`. The XCAP server is the page's own origin
 * (`/xcap-root`, through the same-origin proxy of examples/react/serve.ts).
 *
 *   npx tsx examples/react/serve.ts   # builds with esbuild, then open the printed URL
 */
import { type FormEvent, useEffect, useState, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { Contact, ContactURI, createXcapManager, type XcapManager } from 'rxcap/browser';

const q = new URLSearchParams(location.search);
const manager = createXcapManager({
  account: {
    id: q.get('id') ?? 'sip:alice@example.com',
    auth: { password: q.get('password') ?? '' },
    xcap: { root: new URL('/xcap-root', location.href).href },
  },
  pollPeriod: Number(q.get('poll') ?? 120_000),
});

function Contacts({ manager }: { manager: XcapManager }) {
  // The whole binding: a new snapshot object exactly when a stream emitted something new.
  const { status, local } = useSyncExternalStore(manager.subscribe, manager.getSnapshot);
  // The local view: an edit shows at once (also offline), marked until the server has it.
  const book = local.addressbook;
  const error = useLastError(manager);
  const [name, setName] = useState('');
  const [uri, setUri] = useState('');

  const add = (ev: FormEvent) => {
    ev.preventDefault();
    // Validated at once: a bad URI throws here and nothing is journaled.
    manager.addContact(new Contact({ name, uris: [new ContactURI({ uri, type: 'SIP' })] }));
    setName('');
    setUri('');
  };

  return (
    <main>
      <h1>Contacts</h1>
      <p>
        Sync: <span id="status">{status.state}</span> · <span id="hint">{status.hint}</span>
      </p>
      {error && <p id="error">{error}</p>}
      {book === undefined ? (
        <p id="loading">Loading…</p>
      ) : (
        <ul id="contacts">
          {[...book.value.contacts]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((c) => (
              <li
                key={c.id}
                data-name={c.name}
                data-pending={book.pendingIds.has(c.id) || undefined}
              >
                {c.name}
                {book.pendingIds.has(c.id) && <em> (not on the server yet)</em>}
                <span className="uri">{c.uris.map((u) => u.uri).join(', ')}</span>
                <button type="button" onClick={() => manager.removeContact(c.id)}>
                  Remove
                </button>
              </li>
            ))}
        </ul>
      )}
      <form id="add" onSubmit={add}>
        <input
          name="name"
          placeholder="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
        <input
          name="uri"
          placeholder="sip:bob@example.com"
          value={uri}
          onChange={(e) => setUri(e.target.value)}
          required
        />
        <button type="submit">Add</button>
      </form>
    </main>
  );
}

/** error$ is an event stream, not a state: an effect keeps the last one. */
function useLastError(manager: XcapManager): string | null {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const sub = manager.error$.subscribe((e) => setError(`${e.code}: ${e.message}`));
    return () => sub.unsubscribe();
  }, [manager]);
  return error;
}

createRoot(document.getElementById('root')!).render(<Contacts manager={manager} />);
addEventListener('pagehide', () => {
  void manager.close();
});
await manager.load();
await manager.start();
