import { describe, expect, it } from 'vitest';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, child, children, NS, textOf, type XmlElement } from '../../src/codecs/xml/tree.js';
import {
  DIALOG_RULES,
  defaultPolicyOf,
  normalizeRlsServices,
  normalizeRules,
  PRESENCE_RULES,
  rlsServiceUri,
  setDefaultPolicy,
} from '../../src/journal/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';

const CP = NS.commonPolicy;
const ruleset = (rules: string) =>
  parseXml(
    `<cp:ruleset xmlns:cp="${CP}" xmlns:pr="${NS.presRules}" xmlns:ocp="${NS.omaCommonPolicy}">${rules}</cp:ruleset>`,
  );
const rule = (doc: XmlElement, id: string) =>
  children(doc, CP, 'rule').find((r) => attr(r, 'id') === id);
const subs = (r: XmlElement | undefined) =>
  children(child(r!, CP, 'actions')!, NS.presRules, 'sub-handling').map(textOf);

describe('normalizeRules', () => {
  it.each([
    [
      'a missing sub-handling means block, then the rule is fixed to its valid value',
      '<cp:rule id="wp_prs_grantedcontacts"><cp:conditions/></cp:rule>',
      'wp_prs_grantedcontacts',
      ['allow'],
    ],
    [
      'wp_prs_unlisted cannot be allow: it becomes confirm',
      '<cp:rule id="wp_prs_unlisted"><cp:conditions><ocp:other-identity/></cp:conditions><cp:actions><pr:sub-handling>allow</pr:sub-handling></cp:actions></cp:rule>',
      'wp_prs_unlisted',
      ['confirm'],
    ],
    [
      'several sub-handlings: the most permissive valid one stays',
      '<cp:rule id="wp_prs_block_anonymous"><cp:conditions><ocp:anonymous-request/></cp:conditions><cp:actions><pr:sub-handling>block</pr:sub-handling><pr:sub-handling>polite-block</pr:sub-handling></cp:actions></cp:rule>',
      'wp_prs_block_anonymous',
      ['polite-block'],
    ],
    [
      'an unlisted rule without actions blocks (RFC 5025 §3.2.1)',
      '<cp:rule id="wp_prs_unlisted"><cp:conditions><ocp:other-identity/></cp:conditions></cp:rule>',
      'wp_prs_unlisted',
      ['block'],
    ],
  ])('%s', (_name, rules, id, want) => {
    const out = normalizeRules(ruleset(rules), ctx, PRESENCE_RULES);
    expect(subs(rule(out, id))).toEqual(want);
    expect(normalizeRules(out, ctx, PRESENCE_RULES)).toBe(out);
  });

  it('replaces wrong conditions of its own rules and keeps their transformations', () => {
    const doc = ruleset(
      '<cp:rule id="wp_prs_grantedcontacts"><cp:conditions><ocp:external-list><ocp:entry anc="http://elsewhere/list"/></ocp:external-list></cp:conditions><cp:actions><pr:sub-handling>allow</pr:sub-handling></cp:actions><cp:transformations><pr:provide-all-attributes/></cp:transformations></cp:rule>',
    );
    const out = normalizeRules(doc, ctx, PRESENCE_RULES);
    const xml = serializeXml(rule(out, 'wp_prs_grantedcontacts')!, { declaration: false });
    expect(xml).toContain('list%5B@name=%22oma_grantedcontacts%22%5D');
    expect(xml).not.toContain('elsewhere');
    expect(xml).toMatch(/<pr:provide-all-attributes[^>]*\/>/);
  });

  it('keeps wp_prs_unlisted when both default rules exist', () => {
    const doc = ruleset(
      '<cp:rule id="wp_prs_allow_unlisted"><cp:conditions><ocp:other-identity/></cp:conditions><cp:actions><pr:sub-handling>allow</pr:sub-handling></cp:actions></cp:rule><cp:rule id="wp_prs_unlisted"><cp:conditions><ocp:other-identity/></cp:conditions><cp:actions><pr:sub-handling>polite-block</pr:sub-handling></cp:actions></cp:rule>',
    );
    const out = normalizeRules(doc, ctx, PRESENCE_RULES);
    expect(rule(out, 'wp_prs_allow_unlisted')).toBeUndefined();
    expect(defaultPolicyOf(out, PRESENCE_RULES)).toBe('polite-block');
  });

  it.each(['allow', 'block', 'polite-block', 'confirm'] as const)(
    'setDefaultPolicy(%s) round-trips on the reference dialog rules',
    (p) => {
      const doc = setDefaultPolicy(fixtureDocs()['dialog-rules'], ctx, DIALOG_RULES, p);
      expect(defaultPolicyOf(doc, DIALOG_RULES)).toBe(p);
      const ids = children(doc, CP, 'rule').map((r) => attr(r, 'id'));
      expect(ids.filter((id) => id?.endsWith('unlisted'))).toEqual([
        p === 'allow' ? 'wp_dlg_allow_unlisted' : 'wp_dlg_unlisted',
      ]);
      expect(setDefaultPolicy(doc, ctx, DIALOG_RULES, p)).toBe(doc);
    },
  );
});

describe('normalizeRlsServices', () => {
  it('derives the service URIs from the XUI', () => {
    expect(rlsServiceUri('sip:alice@example.com', 'presence')).toBe(
      'sip:alice+presence@example.com',
    );
    expect(rlsServiceUri('sips:bob@x.org', 'dialog')).toBe('sip:bob+dialog@x.org');
    expect(rlsServiceUri('example.com', 'dialog')).toBeUndefined();
  });

  it('replaces an inline list and wrong packages, keeps foreign children and services', () => {
    const doc = parseXml(
      `<rls-services xmlns="${NS.rlsServices}" xmlns:x="urn:x"><service uri="sip:alice+presence@example.com"><list><entry uri="sip:a@b"/></list><packages><package>presence</package><package>dialog</package></packages><x:keep/></service><service uri="sip:other@example.com"><resource-list>http://x</resource-list></service></rls-services>`,
    );
    const out = normalizeRlsServices(doc, ctx);
    const xml = serializeXml(out, { declaration: false });
    expect(xml).toContain(
      '<service uri="sip:alice+presence@example.com"><resource-list>http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22sipsimple_presence_rls%22%5D</resource-list><packages><package>presence</package></packages><x:keep/></service>',
    );
    expect(xml).toContain(
      '<service uri="sip:other@example.com"><resource-list>http://x</resource-list></service>',
    );
    expect(children(out).map((s) => attr(s, 'uri'))).toEqual([
      'sip:alice+presence@example.com',
      'sip:other@example.com',
      'sip:alice+dialog@example.com',
    ]);
    expect(normalizeRlsServices(out, ctx)).toBe(out);
  });

  it("accepts the reference implementation's percent-encoded services as they are", () => {
    const doc = fixtureDocs()['rls-services']!;
    expect(normalizeRlsServices(doc, ctx)).toBe(doc);
  });
});
