/**
 * Robustness under network and server faults: two managers on one account talk to Kamailio
 * through a fault-injecting proxy (test/support/fault-proxy.ts) that resets connections,
 * answers 503 with Retry-After, stalls past the client timeout, truncates bodies (dropped
 * connections, or complete answers with half a document) and lies about
 * content types — before and after the server applied a request. 200 random operations are
 * issued between them; then the faults stop and both managers must reach insync with the
 * same addressbook, in which every operation is applied exactly once.
 *
 * Seeded: set RXCAP_ROBUSTNESS_SEED to repeat a run (the seed is printed); RXCAP_ROBUSTNESS_RATE
 * sets the share of faulty exchanges (default 0.25).
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import type { XcapError } from '../../src/errors.js';
import type { XcapManager } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import type { Addressbook, DialogRules, PresenceRules } from '../../src/model/addressbook.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../support/fault-proxy.js';
import {
  canonicalBook,
  expectedBook,
  faultTestManager,
  itemCounts,
  performOp,
  planWorkload,
  WorkloadModel,
  type WorkOp,
} from '../support/fault-workload.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const SEED = Number(process.env.RXCAP_ROBUSTNESS_SEED ?? 20261121);
const OPS_PER_MANAGER = 100;
/** Share of exchanges that get a fault (RXCAP_ROBUSTNESS_RATE to stress harder). */
const RATE = Number(process.env.RXCAP_ROBUSTNESS_RATE ?? 0.25);

const managers: XcapManager[] = [];
let proxy: FaultProxy | null = null;
afterEach(async () => {
  if (proxy) proxy.enabled = false;
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await proxy?.close();
  proxy = null;
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Latest value of a hot replaying stream, kept up to date. */
function latest<T>(o: { subscribe(f: (v: T) => void): unknown }): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  o.subscribe((v) => {
    box.value = v;
  });
  return box;
}

/** Every element in the addressbook namespace named `name`, anywhere below `root`. */
describe('robustness: two managers through a fault-injecting proxy', () => {
  const user = poolUser(300);

  it(`200 random operations under faults are each applied exactly once (seed ${SEED})`, {
    timeout: 120_000,
  }, async () => {
    console.log(`robustness-faults seed: ${SEED} (set RXCAP_ROBUSTNESS_SEED to repeat)`);
    wipeUserDocuments(user);
    const env = testServer();
    const origin = new URL(env.xcapRoot).origin;
    proxy = await startFaultProxy({ target: origin, seed: SEED, rate: RATE });
    const root = env.xcapRoot.replace(origin, proxy.origin);

    const make = (salt: number): XcapManager => {
      const m = faultTestManager(user, root, SEED + salt);
      managers.push(m);
      return m;
    };
    const a = make(1);
    const b = make(2);
    const errors: XcapError[] = [];
    a.error$.subscribe((e: XcapError) => errors.push(e));
    b.error$.subscribe((e: XcapError) => errors.push(e));
    // The last events of each manager, printed when the managers do not settle.
    const history: string[] = [];
    const note = (line: string) => {
      history.push(`${Date.now() % 1_000_000} ${line}`);
      if (history.length > 80) history.shift();
      if (process.env.RXCAP_ROBUSTNESS_DEBUG) console.log(line);
    };
    for (const [n, m] of [
      ['A', a],
      ['B', b],
    ] as const) {
      m.state$.subscribe((s) => note(`${n} state ${s.state}`));
      m.error$.subscribe((e) => note(`${n} error ${e.code} ${e.message}`));
      m.trace$.subscribe((t) => note(`${n} ${t.method} ${t.auid} ${t.status} ${t.error ?? ''}`));
    }

    // Each manager works on its own ids, and owns one default policy, so that the expected
    // final state does not depend on the order in which the two sync.
    const modelA = new WorkloadModel();
    const modelB = new WorkloadModel();
    const planA = planWorkload(seededRandom(SEED + 11), 'a', OPS_PER_MANAGER, modelA, 'presence');
    const planB = planWorkload(seededRandom(SEED + 12), 'b', OPS_PER_MANAGER, modelB, 'dialog');

    await a.start();
    await b.start();

    // Operations are issued while the managers sync (offline-first: no waiting for insync),
    // sometimes alone and sometimes a few in one transaction, with short random pauses.
    const drive = async (m: XcapManager, plan: readonly WorkOp[], random: () => number) => {
      let i = 0;
      while (i < plan.length) {
        const batch = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1;
        const ops = plan.slice(i, i + batch);
        if (ops.length > 1)
          m.transaction(() => {
            for (const op of ops) performOp(m, op);
          });
        else performOp(m, ops[0]!);
        i += ops.length;
        await sleep(Math.floor(random() * 40));
      }
    };
    const started = Date.now();
    await Promise.all([
      drive(a, planA, seededRandom(SEED + 21)),
      drive(b, planB, seededRandom(SEED + 22)),
    ]);
    // Keep the faults on a little longer (the managers poll meanwhile), until every kind was
    // injected at least twice — at most 15 s.
    const enough = () => Object.values(proxy!.counts).every((n) => n >= 2);
    const faultsUntil = Date.now() + 15_000;
    while (!enough() && Date.now() < faultsUntil) await sleep(100);
    proxy.enabled = false;
    const counts = { ...proxy.counts };
    console.log(
      `faults injected: ${JSON.stringify(counts)} in ${Date.now() - started} ms; ` +
        `errors: ${JSON.stringify(errors.map((e) => e.code))}`,
    );

    const expected = expectedBook(modelA, modelB);
    const abA = latest<Addressbook>(a.addressbook$);
    const abB = latest<Addressbook>(b.addressbook$);
    const prA = latest<PresenceRules>(a.presenceRules$);
    const prB = latest<PresenceRules>(b.presenceRules$);
    const drA = latest<DialogRules>(a.dialogRules$);
    const drB = latest<DialogRules>(b.dialogRules$);
    const settled = () =>
      a.state === 'insync' &&
      b.state === 'insync' &&
      abA.value !== undefined &&
      abB.value !== undefined &&
      JSON.stringify(canonicalBook(abA.value)) === JSON.stringify(expected) &&
      JSON.stringify(canonicalBook(abB.value)) === JSON.stringify(expected) &&
      prA.value?.defaultPolicy === modelA.defaultPresence &&
      prB.value?.defaultPolicy === modelA.defaultPresence &&
      drA.value?.defaultPolicy === modelB.defaultDialog &&
      drB.value?.defaultPolicy === modelB.defaultDialog;
    const deadline = Date.now() + 45_000;
    while (!settled() && Date.now() < deadline) await sleep(100);
    if (!settled()) console.log(`not settled (seed ${SEED}); last events:\n${history.join('\n')}`);
    expect(a.state).toBe('insync');
    expect(b.state).toBe('insync');
    expect(canonicalBook(abA.value!)).toEqual(expected);
    expect(canonicalBook(abB.value!)).toEqual(expected);
    expect(abB.value!.toJSON()).toEqual(abA.value!.toJSON());
    // Both see both default policies (each set by one of them) alike.
    expect(prA.value?.defaultPolicy).toBe(modelA.defaultPresence);
    expect(prB.value?.defaultPolicy).toBe(modelA.defaultPresence);
    expect(drA.value?.defaultPolicy).toBe(modelB.defaultDialog);
    expect(drB.value?.defaultPolicy).toBe(modelB.defaultDialog);

    // The server holds each item exactly once (no duplicate from a replayed operation).
    const client = new XcapClient({ root: env.xcapRoot, xui: user.id, password: user.password });
    const doc = parseXml((await firstValueFrom(client.get('resource-lists'))).body);
    const contactCounts = itemCounts(doc, 'contact');
    const groupCounts = itemCounts(doc, 'group');
    const policyCounts = itemCounts(doc, 'policy-element');
    expect([...contactCounts.keys()].sort()).toEqual(expected.contacts.map((c) => c.id));
    expect([...groupCounts.keys()].sort()).toEqual(expected.groups.map((g) => g.id));
    expect([...policyCounts.keys()].sort()).toEqual(expected.policies.map((p) => p.id));
    for (const n of [...contactCounts.values(), ...groupCounts.values(), ...policyCounts.values()])
      expect(n).toBe(1);

    // A fresh manager (no cache) reads the same from the server.
    const fresh = createXcapManager({
      account: {
        id: user.id,
        auth: { username: user.username, password: user.password },
        xcap: { root: env.xcapRoot },
      },
      storage: memoryStorage(),
    });
    managers.push(fresh);
    await fresh.start();
    await firstValueFrom(
      fresh.state$.pipe(
        filter((s) => s.state === 'insync'),
        timeout(20_000),
      ),
    );
    expect(canonicalBook(await firstValueFrom(fresh.addressbook$))).toEqual(expected);

    // Faults were really injected, of every kind.
    for (const [kind, n] of Object.entries(counts)) expect(n, `fault ${kind}`).toBeGreaterThan(0);
    // Faults are retried, not reported as lost operations.
    expect(errors.filter((e) => e.code === 'RXCAP_OPERATION_REJECTED')).toEqual([]);
  });
});
