/**
 * A seeded, model-based workload for robustness tests: a plan of manager operations (contacts,
 * URIs' presence policy, groups, members, policies, default policies) that are valid in order,
 * the model of what the addressbook must look like after them, and a canonical form of an
 * addressbook to compare with. Every operation is idempotent by id (replaying one that was
 * already applied changes nothing), which is what lets a crash test re-issue an operation whose
 * acknowledgement it did not see.
 */
import { children, NS, type XmlElement } from '../../src/codecs/xml/tree.js';
import type { XcapManager } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import type { Addressbook, SubHandling } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { EventHandling } from '../../src/model/event-handling.js';
import { Group } from '../../src/model/group.js';
import { Policy } from '../../src/model/policy.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { seededRandom } from './fault-proxy.js';
import type { TestUser } from './test-server.js';

type Handling = 'allow' | 'block' | 'default';

/** One planned operation (plain data, so it can cross a process boundary as JSON). */
export type WorkOp =
  | { kind: 'addContact'; id: string; name: string; uri: string; presence: Handling }
  | { kind: 'updateContact'; id: string; name: string; presence: Handling; note: string }
  | { kind: 'removeContact'; id: string }
  | { kind: 'addGroup'; id: string; name: string }
  | { kind: 'updateGroup'; id: string; name: string }
  | { kind: 'removeGroup'; id: string }
  | { kind: 'addMember'; group: string; contact: string }
  | { kind: 'removeMember'; group: string; contact: string }
  | { kind: 'addPolicy'; id: string; name: string; uri: string; presence: 'allow' | 'block' }
  | { kind: 'updatePolicy'; id: string; name: string; presence: 'allow' | 'block' }
  | { kind: 'removePolicy'; id: string }
  | { kind: 'setDefaultPresence'; policy: SubHandling }
  | { kind: 'setDefaultDialog'; policy: SubHandling };

/** The canonical, order-free form of an addressbook this workload can produce. */
export interface CanonicalBook {
  contacts: { id: string; name: string; uris: string[]; presence: string; note: string | null }[];
  groups: { id: string; name: string; members: string[] }[];
  policies: { id: string; name: string; uri: string; presence: string }[];
}

/** What the workload's operations leave behind (the expected state). */
export class WorkloadModel {
  readonly contacts = new Map<
    string,
    { name: string; uri: string; presence: Handling; note: string | null }
  >();
  readonly groups = new Map<string, { name: string; members: Set<string> }>();
  readonly policies = new Map<string, { name: string; uri: string; presence: string }>();
  defaultPresence: SubHandling | null = null;
  defaultDialog: SubHandling | null = null;

  /** Applies `op` as the journal does (idempotent by id). */
  apply(op: WorkOp): void {
    switch (op.kind) {
      case 'addContact':
        this.contacts.set(op.id, { name: op.name, uri: op.uri, presence: op.presence, note: null });
        return;
      case 'updateContact': {
        const c = this.contacts.get(op.id);
        if (c) Object.assign(c, { name: op.name, presence: op.presence, note: op.note });
        return;
      }
      case 'removeContact':
        this.contacts.delete(op.id);
        for (const g of this.groups.values()) g.members.delete(op.id);
        return;
      case 'addGroup':
        this.groups.set(op.id, { name: op.name, members: new Set() });
        return;
      case 'updateGroup': {
        const g = this.groups.get(op.id);
        if (g) g.name = op.name;
        return;
      }
      case 'removeGroup':
        this.groups.delete(op.id);
        return;
      case 'addMember':
        if (this.contacts.has(op.contact)) this.groups.get(op.group)?.members.add(op.contact);
        return;
      case 'removeMember':
        this.groups.get(op.group)?.members.delete(op.contact);
        return;
      case 'addPolicy':
        this.policies.set(op.id, { name: op.name, uri: op.uri, presence: op.presence });
        return;
      case 'updatePolicy': {
        const p = this.policies.get(op.id);
        if (p) Object.assign(p, { name: op.name, presence: op.presence });
        return;
      }
      case 'removePolicy':
        this.policies.delete(op.id);
        return;
      case 'setDefaultPresence':
        this.defaultPresence = op.policy;
        return;
      case 'setDefaultDialog':
        this.defaultDialog = op.policy;
        return;
    }
  }
}

/** The canonical form of several models together (their ids are disjoint). */
export function expectedBook(...models: WorkloadModel[]): CanonicalBook {
  const book: CanonicalBook = { contacts: [], groups: [], policies: [] };
  for (const m of models) {
    for (const [id, c] of m.contacts)
      book.contacts.push({ id, name: c.name, uris: [c.uri], presence: c.presence, note: c.note });
    for (const [id, g] of m.groups)
      book.groups.push({ id, name: g.name, members: [...g.members].sort() });
    for (const [id, p] of m.policies)
      book.policies.push({ id, name: p.name, uri: p.uri, presence: p.presence });
  }
  return sortBook(book);
}

/** The canonical form of an addressbook the manager emitted. */
export function canonicalBook(ab: Addressbook): CanonicalBook {
  return sortBook({
    contacts: ab.contacts.map((c) => ({
      id: c.id,
      name: c.name,
      uris: c.uris.map((u) => u.uri).sort(),
      presence: c.presence.policy,
      note: c.attributes.note ?? null,
    })),
    groups: ab.groups.map((g) => ({ id: g.id, name: g.name, members: [...g.contactIds].sort() })),
    policies: ab.policies.map((p) => ({
      id: p.id,
      name: p.name,
      uri: p.uri,
      presence: p.presence.policy,
    })),
  });
}

function sortBook(b: CanonicalBook): CanonicalBook {
  const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  return {
    contacts: [...b.contacts].sort(byId),
    groups: [...b.groups].sort(byId),
    policies: [...b.policies].sort(byId),
  };
}

/** Which default policy a plan may set (two managers each own one, so the last value is known). */
export type DefaultsOwner = 'presence' | 'dialog' | 'both' | 'none';

/**
 * Plans `count` operations for an actor whose ids start with `prefix` (a letter: ids must be
 * NCNames). `model` is advanced as the plan is built, so it ends as the expected state.
 *
 * @example const model = new WorkloadModel(); const plan = planWorkload(seededRandom(1), 'a', 100, model, 'presence');
 */
export function planWorkload(
  random: () => number,
  prefix: string,
  count: number,
  model: WorkloadModel,
  defaults: DefaultsOwner,
): WorkOp[] {
  const plan: WorkOp[] = [];
  let n = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const handling = (): Handling => pick(['allow', 'block', 'default'] as const);
  const subHandling = (): SubHandling =>
    pick(['allow', 'block', 'polite-block', 'confirm'] as const);
  const weights: [WorkOp['kind'], number][] = [
    ['addContact', 24],
    ['updateContact', 16],
    ['removeContact', 7],
    ['addGroup', 7],
    ['updateGroup', 5],
    ['removeGroup', 3],
    ['addMember', 12],
    ['removeMember', 5],
    ['addPolicy', 8],
    ['updatePolicy', 5],
    ['removePolicy', 3],
    ['setDefaultPresence', defaults === 'presence' || defaults === 'both' ? 3 : 0],
    ['setDefaultDialog', defaults === 'dialog' || defaults === 'both' ? 3 : 0],
  ];
  const total = weights.reduce((s, [, w]) => s + w, 0);
  // The owner of a default policy sets it at least once (first), so that its final value is
  // known (an account's skeleton has a default of its own).
  const first: WorkOp[] = [];
  if (defaults === 'presence' || defaults === 'both')
    first.push({ kind: 'setDefaultPresence', policy: subHandling() });
  if (defaults === 'dialog' || defaults === 'both')
    first.push({ kind: 'setDefaultDialog', policy: subHandling() });
  for (const op of first.slice(0, count)) {
    model.apply(op);
    plan.push(op);
  }
  while (plan.length < count) {
    let r = random() * total;
    let kind: WorkOp['kind'] = 'addContact';
    for (const [k, w] of weights) {
      if (r < w) {
        kind = k;
        break;
      }
      r -= w;
    }
    const contacts = [...model.contacts.keys()];
    const groups = [...model.groups.keys()];
    const policies = [...model.policies.keys()];
    n++;
    let op: WorkOp | null = null;
    switch (kind) {
      case 'addContact': {
        const id = `${prefix}c${n}`;
        op = {
          kind,
          id,
          name: `${prefix.toUpperCase()} contact ${n}`,
          uri: `sip:${id}@example.com`,
          presence: handling(),
        };
        break;
      }
      case 'updateContact':
        if (contacts.length > 0)
          op = {
            kind,
            id: pick(contacts),
            name: `${prefix.toUpperCase()} renamed ${n}`,
            presence: handling(),
            note: `note ${n}`,
          };
        break;
      case 'removeContact':
        if (contacts.length > 0) op = { kind, id: pick(contacts) };
        break;
      case 'addGroup':
        op = { kind, id: `${prefix}g${n}`, name: `${prefix.toUpperCase()} group ${n}` };
        break;
      case 'updateGroup':
        if (groups.length > 0)
          op = { kind, id: pick(groups), name: `${prefix.toUpperCase()} group renamed ${n}` };
        break;
      case 'removeGroup':
        if (groups.length > 0) op = { kind, id: pick(groups) };
        break;
      case 'addMember':
        if (groups.length > 0 && contacts.length > 0)
          op = { kind, group: pick(groups), contact: pick(contacts) };
        break;
      case 'removeMember': {
        const withMembers = groups.filter((g) => (model.groups.get(g)?.members.size ?? 0) > 0);
        if (withMembers.length > 0) {
          const group = pick(withMembers);
          op = { kind, group, contact: pick([...(model.groups.get(group)?.members ?? [])]) };
        }
        break;
      }
      case 'addPolicy': {
        const id = `${prefix}p${n}`;
        op = {
          kind,
          id,
          name: `${prefix.toUpperCase()} policy ${n}`,
          uri: `sip:${id}@policy.example.com`,
          presence: pick(['allow', 'block'] as const),
        };
        break;
      }
      case 'updatePolicy':
        if (policies.length > 0)
          op = {
            kind,
            id: pick(policies),
            name: `${prefix.toUpperCase()} policy renamed ${n}`,
            presence: pick(['allow', 'block'] as const),
          };
        break;
      case 'removePolicy':
        if (policies.length > 0) op = { kind, id: pick(policies) };
        break;
      case 'setDefaultPresence':
      case 'setDefaultDialog':
        op = { kind, policy: subHandling() };
        break;
    }
    if (op === null) continue;
    model.apply(op);
    plan.push(op);
  }
  return plan;
}

/**
 * Issues `op` on `manager` (journals it; the sync happens in the background).
 *
 * @example performOp(manager, { kind: 'removeContact', id: 'ac3' })
 */
export function performOp(manager: XcapManager, op: WorkOp): void {
  switch (op.kind) {
    case 'addContact':
      manager.addContact(
        new Contact({
          id: op.id,
          name: op.name,
          uris: [new ContactURI({ id: `${op.id}u`, uri: op.uri, type: 'SIP' })],
          presence: new EventHandling(op.presence, false),
        }),
      );
      return;
    case 'updateContact':
      manager.updateContact(op.id, {
        name: op.name,
        presence: { policy: op.presence },
        attributes: { note: op.note },
      });
      return;
    case 'removeContact':
      manager.removeContact(op.id);
      return;
    case 'addGroup':
      manager.addGroup(new Group({ id: op.id, name: op.name }));
      return;
    case 'updateGroup':
      manager.updateGroup(op.id, { name: op.name });
      return;
    case 'removeGroup':
      manager.removeGroup(op.id);
      return;
    case 'addMember':
      manager.addGroupMember(op.group, op.contact);
      return;
    case 'removeMember':
      manager.removeGroupMember(op.group, op.contact);
      return;
    case 'addPolicy':
      manager.addPolicy(
        new Policy({
          id: op.id,
          name: op.name,
          uri: op.uri,
          presence: new EventHandling(op.presence, false),
        }),
      );
      return;
    case 'updatePolicy':
      manager.updatePolicy(op.id, { name: op.name, presence: { policy: op.presence } });
      return;
    case 'removePolicy':
      manager.removePolicy(op.id);
      return;
    case 'setDefaultPresence':
      manager.setDefaultPresencePolicy(op.policy);
      return;
    case 'setDefaultDialog':
      manager.setDefaultDialogPolicy(op.policy);
      return;
  }
}

/**
 * How often each id occurs on addressbook elements `name` (contact, group, policy-element)
 * anywhere below `root`: exactly-once checks on the server's document.
 *
 * @example itemCounts(parseXml(body), 'contact').get('ac1') // 1
 */
export function itemCounts(root: XmlElement, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  const walk = (e: XmlElement) => {
    if (e.ns === NS.addressbook && e.name === name) {
      const id = e.attributes.find((a) => a.name === 'id' && a.ns === '')?.value;
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const c of children(e)) walk(c);
  };
  walk(root);
  return counts;
}

/**
 * A manager for `user` that talks to XCAP at `root` (the fault proxy's), tuned for fault tests:
 * a short client timeout so that stalls cost little, a small backoff, polling every 400 ms
 * (each manager learns of the other's writes by polling: no xcap-diff through a proxy), and a
 * seeded jitter.
 */
export function faultTestManager(user: TestUser, root: string, seed: number): XcapManager {
  return createXcapManager({
    account: {
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root },
    },
    storage: memoryStorage(),
    client: { timeoutMs: 1_500 },
    backoff: { initialDelay: 50, maxDelay: 400, factor: 2, jitter: 0.5 },
    pollPeriod: 400,
    random: seededRandom(seed),
  });
}
