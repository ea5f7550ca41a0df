/**
 * The XCAP applications rxcap manages and the facts about each: AUID, MIME type of a whole
 * document, default namespace and the document path in the users tree (the layout
 * python-sipsimple uses, so that both can share one account).
 */
import { NS } from './xml/tree.js';

/** Logical names of the documents the manager keeps. */
export type DocumentName =
  | 'resource-lists'
  | 'rls-services'
  | 'pres-rules'
  | 'dialog-rules'
  | 'pres-content'
  | 'pidf-manipulation';

export const DOCUMENT_NAMES: readonly DocumentName[] = [
  'resource-lists',
  'rls-services',
  'pres-rules',
  'dialog-rules',
  'pidf-manipulation',
  'pres-content',
];

/** An XCAP application usage (RFC 4825 §5). */
export interface XcapApplication {
  readonly auid: string;
  /** MIME type of a whole document (RFC 4825 §12.x of each usage). */
  readonly mimeType: string;
  /** Default document namespace. */
  readonly namespace: string;
  /** Document path below `users/<xui>/`, e.g. `index` or `oma_status-icon/index`. */
  readonly filename: string;
}

/** Every application usage rxcap knows, by AUID. */
export const APPLICATIONS: Readonly<Record<string, XcapApplication>> = {
  'resource-lists': app('resource-lists', 'application/resource-lists+xml', NS.resourceLists),
  'rls-services': app('rls-services', 'application/rls-services+xml', NS.rlsServices),
  'pres-rules': app('pres-rules', 'application/auth-policy+xml', NS.commonPolicy),
  'org.openmobilealliance.pres-rules': app(
    'org.openmobilealliance.pres-rules',
    'application/auth-policy+xml',
    NS.commonPolicy,
  ),
  'org.openxcap.dialog-rules': app(
    'org.openxcap.dialog-rules',
    'application/auth-policy+xml',
    NS.commonPolicy,
  ),
  'pidf-manipulation': app('pidf-manipulation', 'application/pidf+xml', NS.pidf),
  'org.openmobilealliance.pres-content': app(
    'org.openmobilealliance.pres-content',
    'application/vnd.oma.pres-content+xml',
    NS.presContent,
    'oma_status-icon/index',
  ),
  'xcap-caps': app('xcap-caps', 'application/xcap-caps+xml', NS.xcapCaps),
};

/** AUIDs a server must offer for the manager to run, besides a pres-rules AUID. */
export const REQUIRED_AUIDS = ['resource-lists', 'rls-services'] as const;
/** Pres-rules AUIDs in order of preference. */
export const PRES_RULES_AUIDS = ['org.openmobilealliance.pres-rules', 'pres-rules'] as const;
/** Optional AUIDs and the document each one holds. */
export const OPTIONAL_AUIDS: Readonly<Record<string, DocumentName>> = {
  'org.openxcap.dialog-rules': 'dialog-rules',
  'org.openmobilealliance.pres-content': 'pres-content',
  'pidf-manipulation': 'pidf-manipulation',
};

/** MIME types of partial documents (RFC 4825 §15.2–15.4). */
export const XCAP_ELEMENT_MIME = 'application/xcap-el+xml';
export const XCAP_ATTRIBUTE_MIME = 'application/xcap-att+xml';
export const XCAP_NAMESPACE_MIME = 'application/xcap-ns+xml';
export const XCAP_ERROR_MIME = 'application/xcap-error+xml';
export const XCAP_DIFF_MIME = 'application/xcap-diff+xml';

/**
 * The AUID that holds a document, given the pres-rules AUID the server offers.
 *
 * @example auidOf('pres-rules', 'org.openmobilealliance.pres-rules') // the OMA AUID
 */
export function auidOf(name: DocumentName, presRulesAuid: string): string {
  switch (name) {
    case 'pres-rules':
      return presRulesAuid;
    case 'dialog-rules':
      return 'org.openxcap.dialog-rules';
    case 'pres-content':
      return 'org.openmobilealliance.pres-content';
    default:
      return name;
  }
}

/** The application of a document, given the pres-rules AUID the server offers. */
export function applicationOf(name: DocumentName, presRulesAuid: string): XcapApplication {
  return APPLICATIONS[auidOf(name, presRulesAuid)]!;
}

function app(
  auid: string,
  mimeType: string,
  namespace: string,
  filename = 'index',
): XcapApplication {
  return { auid, mimeType, namespace, filename };
}
