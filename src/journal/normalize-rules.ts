/**
 * Normalize of the pres-rules and dialog-rules documents (common-policy rulesets, RFC 4745,
 * with the RFC 5025 `sub-handling` action), and the default-policy operations.
 *
 * rxcap owns the rules `wp_prs_grantedcontacts`, `wp_prs_blockedcontacts`, `wp_prs_unlisted` or
 * `wp_prs_allow_unlisted`, `wp_prs_block_anonymous` and `wp_prs_allow_own` (dialog likewise with
 * `wp_dlg_`). Their conditions and sub-handling are fixed the way the reference implementation
 * fixes them; unlike it, rxcap keeps every other rule and the transformations of its own rules,
 * and it compares conditions by meaning (decoded URIs), so a document that is already right is
 * never rewritten (python-sipsimple re-PUTs identical rules after every fetch; rxcap must not).
 */

import { encodeUriValue, listAnchor, sameAnchor, sameUri } from '../codecs/addressbook-uri.js';
import {
  declareNamespaces,
  el,
  type Prefixes,
  prefixFor,
  setChildren,
  setText,
  textContent,
} from '../codecs/addressbook-xml-edit.js';
import {
  attr,
  child,
  children,
  element,
  is,
  NS,
  type XmlElement,
  type XmlNode,
} from '../codecs/xml/tree.js';
import type { SubHandling } from '../model/addressbook.js';
import type { JournalContext } from './types.js';

const CP = NS.commonPolicy;
const OCP = NS.omaCommonPolicy;

/** The two rulesets rxcap manages. */
export interface RulesFlavor {
  readonly rulePrefix: 'wp_prs' | 'wp_dlg';
  /** Namespace of `sub-handling`: pres-rules or the AG dialog-rules namespace. */
  readonly actionNs: string;
  readonly actionPrefix: string;
  readonly grantedList: string;
  readonly blockedList: string;
}

/** The pres-rules flavour: `wp_prs_*` rules, `pr:sub-handling`, the `oma_*contacts` lists. */
export const PRESENCE_RULES: RulesFlavor = Object.freeze({
  rulePrefix: 'wp_prs',
  actionNs: NS.presRules,
  actionPrefix: 'pr',
  grantedList: 'oma_grantedcontacts',
  blockedList: 'oma_blockedcontacts',
});

/** The dialog-rules flavour: `wp_dlg_*` rules, `dr:sub-handling`, the `dialog_*contacts` lists. */
export const DIALOG_RULES: RulesFlavor = Object.freeze({
  rulePrefix: 'wp_dlg',
  actionNs: NS.dialogRules,
  actionPrefix: 'dr',
  grantedList: 'dialog_grantedcontacts',
  blockedList: 'dialog_blockedcontacts',
});

// RFC 5025 §3.2.1: block < confirm < polite-block < allow; with several sub-handling actions the
// most permissive one applies, so that is the one kept.
const PRIORITY: Record<string, number> = { block: 0, confirm: 10, 'polite-block': 20, allow: 30 };

function prefixesOf(root: XmlElement | null | undefined, f: RulesFlavor): Prefixes {
  return {
    [CP]: prefixFor(root, CP, 'cp'),
    [f.actionNs]: prefixFor(root, f.actionNs, f.actionPrefix),
    [OCP]: prefixFor(root, OCP, 'ocp'),
  };
}

function emptyRuleset(f: RulesFlavor): XmlElement {
  return element(CP, 'ruleset', [], [], {
    prefix: 'cp',
    namespaces: { cp: CP, [f.actionPrefix]: f.actionNs, ocp: OCP },
  });
}

interface RuleSpec {
  readonly id: string;
  readonly valid: readonly SubHandling[];
  readonly check: (conditions: XmlElement) => boolean;
  readonly build: (p: Prefixes) => XmlElement[];
}

function onlyChild(e: XmlElement): XmlElement | undefined {
  const kids = children(e);
  return kids.length === 1 ? kids[0] : undefined;
}

function externalListSpec(
  id: string,
  anchor: string,
  valid: SubHandling[],
  root: string,
): RuleSpec {
  return {
    id,
    valid,
    check: (c) => {
      const x = onlyChild(c);
      if (!x || !is(x, OCP, 'external-list')) return false;
      const entry = onlyChild(x);
      const anc = entry && is(entry, OCP, 'entry') ? attr(entry, 'anc') : undefined;
      return anc !== undefined && sameAnchor(anc, anchor, root);
    },
    build: (p) => [el(OCP, 'external-list', p, {}, [el(OCP, 'entry', p, { anc: anchor })])],
  };
}

function singleSpec(id: string, name: string, valid: SubHandling[]): RuleSpec {
  return {
    id,
    valid,
    check: (c) => {
      const x = onlyChild(c);
      return x !== undefined && is(x, OCP, name);
    },
    build: (p) => [el(OCP, name, p)],
  };
}

function ownSpec(id: string, xui: string): RuleSpec {
  return {
    id,
    valid: ['allow'],
    check: (c) => {
      const x = onlyChild(c);
      if (!x || !is(x, CP, 'identity')) return false;
      const one = onlyChild(x);
      const v = one && is(one, CP, 'one') ? attr(one, 'id') : undefined;
      return v !== undefined && sameUri(v, xui);
    },
    build: (p) => [el(CP, 'identity', p, {}, [el(CP, 'one', p, { id: encodeUriValue(xui) })])],
  };
}

function specs(
  f: RulesFlavor,
  ctx: JournalContext,
): {
  granted: RuleSpec;
  blocked: RuleSpec;
  unlisted: RuleSpec;
  allowUnlisted: RuleSpec;
  anonymous: RuleSpec;
  own: RuleSpec;
} {
  const r = f.rulePrefix;
  return {
    granted: externalListSpec(
      `${r}_grantedcontacts`,
      listAnchor(ctx.xcapRoot, ctx.xui, f.grantedList),
      ['allow'],
      ctx.xcapRoot,
    ),
    blocked: externalListSpec(
      `${r}_blockedcontacts`,
      listAnchor(ctx.xcapRoot, ctx.xui, f.blockedList),
      ['polite-block'],
      ctx.xcapRoot,
    ),
    unlisted: singleSpec(`${r}_unlisted`, 'other-identity', ['confirm', 'block', 'polite-block']),
    allowUnlisted: singleSpec(`${r}_allow_unlisted`, 'other-identity', ['allow']),
    anonymous: singleSpec(`${r}_block_anonymous`, 'anonymous-request', ['block', 'polite-block']),
    own: ownSpec(`${r}_allow_own`, ctx.xui),
  };
}

function ruleIndex(root: XmlElement, id: string): number {
  return root.children.findIndex((c) => is(c, CP, 'rule') && attr(c, 'id') === id);
}

function subHandlings(rule: XmlElement, f: RulesFlavor): XmlElement[] {
  const actions = child(rule, CP, 'actions');
  return actions ? children(actions, f.actionNs, 'sub-handling') : [];
}

/** The effective sub-handling of a rule (the most permissive one), if it has any. */
export function subHandlingOf(rule: XmlElement, f: RulesFlavor): SubHandling | undefined {
  let best: SubHandling | undefined;
  for (const s of subHandlings(rule, f)) {
    const v = textContent(s).trim();
    if (!(v in PRIORITY)) continue;
    if (best === undefined || PRIORITY[v]! > PRIORITY[best]!) best = v as SubHandling;
  }
  return best;
}

function newRule(spec: RuleSpec, value: SubHandling, f: RulesFlavor, p: Prefixes): XmlElement {
  return el(CP, 'rule', p, { id: spec.id }, [
    el(CP, 'conditions', p, {}, spec.build(p)),
    el(CP, 'actions', p, {}, [
      el(f.actionNs, 'sub-handling', p, {}, [{ type: 'text', text: value }]),
    ]),
  ]);
}

/** Fixes the conditions and sub-handling of one of our rules; keeps everything else. */
function fixRule(
  rule: XmlElement,
  spec: RuleSpec,
  f: RulesFlavor,
  p: Prefixes,
  force?: SubHandling,
): XmlElement {
  const kids: XmlNode[] = [];
  let sawConditions = false;
  let sawActions = false;
  for (const c of rule.children) {
    if (is(c, CP, 'conditions') && !sawConditions) {
      sawConditions = true;
      kids.push(spec.check(c) ? c : setChildren(c, spec.build(p)));
    } else if (is(c, CP, 'actions') && !sawActions) {
      sawActions = true;
      kids.push(fixActions(c, spec, f, p, force));
    } else kids.push(c);
  }
  if (!sawConditions) kids.unshift(el(CP, 'conditions', p, {}, spec.build(p)));
  if (!sawActions) {
    const at = kids.findIndex((c) => is(c, CP, 'transformations'));
    const actions = fixActions(el(CP, 'actions', p), spec, f, p, force);
    if (at < 0) kids.push(actions);
    else kids.splice(at, 0, actions);
  }
  return setChildren(rule, kids);
}

function fixActions(
  actions: XmlElement,
  spec: RuleSpec,
  f: RulesFlavor,
  p: Prefixes,
  force?: SubHandling,
): XmlElement {
  const subs = children(actions, f.actionNs, 'sub-handling');
  // RFC 5025 §3.2.1: a missing sub-handling means block.
  let best: XmlElement | undefined;
  let bestValue = 'block';
  for (const s of subs) {
    const v = textContent(s).trim();
    if (best === undefined || (PRIORITY[v] ?? -1) > (PRIORITY[bestValue] ?? -1)) {
      best = s;
      bestValue = v;
    }
  }
  const value: string =
    force ?? ((spec.valid as readonly string[]).includes(bestValue) ? bestValue : spec.valid[0]!);
  if (best === undefined)
    return setChildren(actions, [
      el(f.actionNs, 'sub-handling', p, {}, [{ type: 'text', text: value }]),
      ...actions.children,
    ]);
  const keep = bestValue === value ? best : setText(best, value);
  return setChildren(
    actions,
    actions.children.flatMap((c) => {
      if (c === best) return [keep];
      return subs.includes(c as XmlElement) ? [] : [c];
    }),
  );
}

function upsertRule(
  root: XmlElement,
  spec: RuleSpec,
  f: RulesFlavor,
  p: Prefixes,
  create: SubHandling | undefined,
  force?: SubHandling,
): XmlElement {
  const i = ruleIndex(root, spec.id);
  if (i < 0) {
    if (create === undefined) return root;
    return setChildren(root, [...root.children, newRule(spec, create, f, p)]);
  }
  const rule = root.children[i] as XmlElement;
  const next = fixRule(rule, spec, f, p, force);
  if (next === rule) return root;
  const kids = root.children.slice();
  kids[i] = next;
  return setChildren(root, kids);
}

function removeRule(root: XmlElement, id: string): XmlElement {
  return setChildren(
    root,
    root.children.filter((c) => !(is(c, CP, 'rule') && attr(c, 'id') === id)),
  );
}

/**
 * Brings a pres-rules or dialog-rules document into the layout; returns `doc` itself when it
 * already is. Foreign rules are kept.
 *
 * @example normalizeRules(null, ctx, PRESENCE_RULES) // the five wp_prs_* rules
 */
export function normalizeRules(
  doc: XmlElement | null | undefined,
  ctx: JournalContext,
  f: RulesFlavor,
): XmlElement {
  const start = doc && is(doc, CP, 'ruleset') ? doc : emptyRuleset(f);
  const p = prefixesOf(start, f);
  const s = specs(f, ctx);
  let root = start;
  root = upsertRule(root, s.granted, f, p, 'allow');
  root = upsertRule(root, s.blocked, f, p, 'polite-block');
  // One default rule: wp_*_unlisted wins over wp_*_allow_unlisted when both exist (the
  // reference implementation's rule); none: wp_*_unlisted with confirm.
  const hasUnlisted = ruleIndex(root, s.unlisted.id) >= 0;
  if (hasUnlisted) root = removeRule(root, s.allowUnlisted.id);
  if (ruleIndex(root, s.allowUnlisted.id) >= 0)
    root = upsertRule(root, s.allowUnlisted, f, p, undefined);
  else root = upsertRule(root, s.unlisted, f, p, 'confirm');
  root = upsertRule(root, s.anonymous, f, p, 'block');
  root = upsertRule(root, s.own, f, p, 'allow');
  if (root === start) return doc === start ? doc : start;
  return declareNamespaces(root, p);
}

/**
 * Sets the default policy for unlisted watchers, as python-sipsimple does: `allow` becomes
 * `wp_*_allow_unlisted`, any other value `wp_*_unlisted` with that sub-handling.
 *
 * @example setDefaultPolicy(doc, ctx, PRESENCE_RULES, 'confirm')
 */
export function setDefaultPolicy(
  doc: XmlElement | null | undefined,
  ctx: JournalContext,
  f: RulesFlavor,
  policy: SubHandling,
): XmlElement {
  const base = normalizeRules(doc, ctx, f);
  const p = prefixesOf(base, f);
  const s = specs(f, ctx);
  const [keep, drop] =
    policy === 'allow' ? [s.allowUnlisted, s.unlisted] : [s.unlisted, s.allowUnlisted];
  let root = removeRule(base, drop.id);
  root = upsertRule(root, keep, f, p, policy, policy);
  return root === base ? base : declareNamespaces(root, p);
}

/**
 * The default policy a ruleset states: the sub-handling of `wp_*_unlisted`, else of
 * `wp_*_allow_unlisted`; null when there is neither.
 */
export function defaultPolicyOf(
  doc: XmlElement | null | undefined,
  f: RulesFlavor,
): SubHandling | null {
  if (!doc || !is(doc, CP, 'ruleset')) return null;
  for (const id of [`${f.rulePrefix}_unlisted`, `${f.rulePrefix}_allow_unlisted`]) {
    const i = ruleIndex(doc, id);
    if (i >= 0) return subHandlingOf(doc.children[i] as XmlElement, f) ?? 'block';
  }
  return null;
}
