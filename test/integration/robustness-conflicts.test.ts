/**
 * Conflicting edits under faults: two managers on one account edit the SAME contacts and
 * groups (renames, presence policies, members, removals) at the same time, through the
 * fault-injecting proxy. The final state depends on the order in which they sync, but it must
 * be one both agree on, every item at most once, and consistent with what each issued:
 * a removed contact stays removed, every other contact survives, and each final value is the
 * last one issued by one of the two managers (each replays its own edits in order).
 *
 * Seeded: set RXCAP_ROBUSTNESS_SEED to repeat a run (the seed is printed).
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import type { XcapError } from '../../src/errors.js';
import { XcapUnknownIdError } from '../../src/journal/known-ids.js';
import type { XcapManager } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import type { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { Group } from '../../src/model/group.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../support/fault-proxy.js';
import { canonicalBook, faultTestManager, itemCounts } from '../support/fault-workload.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const SEED = Number(process.env.RXCAP_ROBUSTNESS_SEED ?? 20261123);
const CONTACTS = 12;
const GROUPS = 3;
const OPS_PER_MANAGER = 40;

const managers: XcapManager[] = [];
let proxy: FaultProxy | null = null;
afterEach(async () => {
  if (proxy) proxy.enabled = false;
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await proxy?.close();
  proxy = null;
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What one manager issued last, per item and field. */
interface Issued {
  name: Map<string, string>;
  presence: Map<string, string>;
  removed: Set<string>;
  /** `group/contact` -> member after this manager's last add/remove of that pair. */
  member: Map<string, boolean>;
  groupName: Map<string, string>;
}

describe('robustness: conflicting edits of the same items under faults', () => {
  const user = poolUser(303);

  it(`two managers editing the same contacts converge on one consistent state (seed ${SEED})`, {
    timeout: 120_000,
  }, async () => {
    console.log(`robustness-conflicts seed: ${SEED} (set RXCAP_ROBUSTNESS_SEED to repeat)`);
    wipeUserDocuments(user);
    const env = testServer();
    const origin = new URL(env.xcapRoot).origin;
    proxy = await startFaultProxy({ target: origin, seed: SEED, rate: 0.25 });
    const account = (root: string) => ({
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root },
    });
    const root = env.xcapRoot.replace(origin, proxy.origin);
    const make = (salt: number): XcapManager => {
      const m = faultTestManager(user, root, SEED + salt);
      managers.push(m);
      return m;
    };
    const a = make(1);
    const b = make(2);
    const errors: XcapError[] = [];
    a.error$.subscribe((e) => errors.push(e));
    b.error$.subscribe((e) => errors.push(e));
    const latestA: { ab?: Addressbook } = {};
    const latestB: { ab?: Addressbook } = {};
    a.addressbook$.subscribe((ab) => {
      latestA.ab = ab;
    });
    b.addressbook$.subscribe((ab) => {
      latestB.ab = ab;
    });

    // Phase 1 (faults off): A creates the shared items; both see them.
    proxy.enabled = false;
    await a.start();
    await b.start();
    const contactIds = Array.from({ length: CONTACTS }, (_, i) => `sc${i + 1}`);
    const groupIds = Array.from({ length: GROUPS }, (_, i) => `sg${i + 1}`);
    a.transaction(() => {
      for (const id of contactIds)
        a.addContact(
          new Contact({
            id,
            name: `initial ${id}`,
            uris: [new ContactURI({ id: `${id}u`, uri: `sip:${id}@example.com` })],
          }),
        );
      for (const id of groupIds) a.addGroup(new Group({ id, name: `initial ${id}` }));
    });
    const seesAll = (ab?: Addressbook) =>
      ab !== undefined &&
      contactIds.every((id) => ab.contacts.some((c) => c.id === id)) &&
      groupIds.every((id) => ab.groups.some((g) => g.id === id));
    const until = async (cond: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end) await sleep(50);
      return cond();
    };
    expect(await until(() => seesAll(latestA.ab) && seesAll(latestB.ab), 20_000)).toBe(true);

    // Phase 2 (faults on): both edit the same items at once.
    proxy.enabled = true;
    const issued = (): Issued => ({
      name: new Map(),
      presence: new Map(),
      removed: new Set(),
      member: new Map(),
      groupName: new Map(),
    });
    const byA = issued();
    const byB = issued();
    let refused = 0;
    const drive = async (m: XcapManager, who: string, log: Issued, random: () => number) => {
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      for (let n = 1; n <= OPS_PER_MANAGER; n++) {
        const c = pick(contactIds);
        const g = pick(groupIds);
        const r = random();
        try {
          if (r < 0.45) {
            const name = `${who} ${n}`;
            const policy = pick(['allow', 'block', 'default'] as const);
            m.updateContact(c, { name, presence: { policy } });
            log.name.set(c, name);
            log.presence.set(c, policy);
          } else if (r < 0.5) {
            m.removeContact(c);
            log.removed.add(c);
          } else if (r < 0.7) {
            m.addGroupMember(g, c);
            log.member.set(`${g}/${c}`, true);
          } else if (r < 0.85) {
            m.removeGroupMember(g, c);
            log.member.set(`${g}/${c}`, false);
          } else {
            const name = `${who} group ${n}`;
            m.updateGroup(g, { name });
            log.groupName.set(g, name);
          }
        } catch (e) {
          // The other manager's removal already reached this one: the id is refused.
          if (!(e instanceof XcapUnknownIdError)) throw e;
          refused++;
        }
        await sleep(Math.floor(random() * 60));
      }
    };
    await Promise.all([
      drive(a, 'A', byA, seededRandom(SEED + 21)),
      drive(b, 'B', byB, seededRandom(SEED + 22)),
    ]);
    await sleep(1_000);
    proxy.enabled = false;
    console.log(
      `faults injected: ${JSON.stringify(proxy.counts)}; refused ids: ${refused}; ` +
        `errors: ${JSON.stringify(errors.map((e) => e.code))}`,
    );

    // Both converge on the same state.
    const same = () =>
      a.state === 'insync' &&
      b.state === 'insync' &&
      latestA.ab !== undefined &&
      latestB.ab !== undefined &&
      JSON.stringify(latestA.ab.toJSON()) === JSON.stringify(latestB.ab.toJSON());
    // Polls every 400 ms: settled when both agree over two rounds.
    const settle = async () => {
      const end = Date.now() + 45_000;
      while (Date.now() < end) {
        if (same()) {
          await sleep(1_000);
          if (same()) return;
        }
        await sleep(100);
      }
    };
    await settle();
    expect(a.state).toBe('insync');
    expect(b.state).toBe('insync');
    expect(latestB.ab!.toJSON()).toEqual(latestA.ab!.toJSON());
    const book = canonicalBook(latestA.ab!);

    // Consistent with what each issued.
    const removed = new Set([...byA.removed, ...byB.removed]);
    expect(book.contacts.map((c) => c.id).sort()).toEqual(
      contactIds.filter((id) => !removed.has(id)).sort(),
    );
    const oneOf = <T>(id: string, a1: Map<string, T>, b1: Map<string, T>, initial: T): T[] => {
      const options = [a1.get(id), b1.get(id)].filter((x): x is T => x !== undefined);
      return options.length > 0 ? options : [initial];
    };
    for (const c of book.contacts) {
      expect(oneOf(c.id, byA.name, byB.name, `initial ${c.id}`)).toContain(c.name);
      expect(oneOf(c.id, byA.presence, byB.presence, 'default')).toContain(c.presence);
    }
    expect(book.groups.map((g) => g.id).sort()).toEqual([...groupIds].sort());
    for (const g of book.groups) {
      expect(oneOf(g.id, byA.groupName, byB.groupName, `initial ${g.id}`)).toContain(g.name);
      for (const c of contactIds) {
        const member = g.members.includes(c);
        if (removed.has(c)) expect(member).toBe(false);
        else expect(oneOf(`${g.id}/${c}`, byA.member, byB.member, false)).toContain(member);
      }
    }

    // Every item at most once on the server.
    const client = new XcapClient({ root: env.xcapRoot, xui: user.id, password: user.password });
    const doc = parseXml((await firstValueFrom(client.get('resource-lists'))).body);
    for (const name of ['contact', 'group'])
      for (const n of itemCounts(doc, name).values()) expect(n).toBe(1);

    // A fresh manager reads the same.
    const fresh = createXcapManager({ account: account(env.xcapRoot), storage: memoryStorage() });
    managers.push(fresh);
    await fresh.start();
    await firstValueFrom(
      fresh.state$.pipe(
        filter((s) => s.state === 'insync'),
        timeout(20_000),
      ),
    );
    expect(canonicalBook(await firstValueFrom(fresh.addressbook$))).toEqual(book);
    expect(errors.filter((e) => e.code === 'RXCAP_OPERATION_REJECTED')).toEqual([]);
  });
});
