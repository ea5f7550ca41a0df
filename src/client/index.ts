/** The low-level XCAP client: URIs, node selectors, Digest, conditional requests, typed errors. */

export type { XcapErrorDetails, XcapUniquenessConflict } from '../codecs/xcap-error.js';
export {
  type AuthChallenge,
  basicAuthorization,
  type ChallengeChoice,
  chooseChallenge,
  type DigestChallenge,
  type DigestResponseInput,
  digestAuthorization,
  digestResponse,
  parseWwwAuthenticate,
} from './digest.js';
export {
  CORS_REFUSED,
  isCertificateFailure,
  isCorsRefusal,
  isTransient,
  MAX_ERROR_BODY_CHARS,
  MAX_RETRY_AFTER_MS,
  redactHeaders,
  retryAfterMs,
  XcapAuthError,
  XcapHttpError,
  XcapNetworkError,
  XcapNodeSelectorError,
  XcapResponseTooLargeError,
  XcapTimeoutError,
  type XcapTimeoutPhase,
} from './errors.js';
export { formatEtag, type ParsedEtag, parseEtag, type StarQuoting } from './etag.js';
export {
  CORS_HINT,
  createFetchTransport,
  type FetchTransportOptions,
  fetchTransport,
} from './fetch-transport.js';
export {
  type AttributeTest,
  encodeNodeSelector,
  encodePathSegment,
  type NamespaceBindings,
  type NodeKind,
  NodeSelector,
  namespaceQuery,
  nodeKindOf,
  nodeSelector,
  quoteAttValue,
  validateNodeSelector,
} from './node-selector.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUTS,
  type HttpTransport,
  type RawRequest,
  type RawResponse,
  type TransportOptions,
  type XcapTimeouts,
} from './transport.js';
export { defaultUsername, type XcapUri, type XcapUriOptions, xcapUri } from './uri.js';
export {
  mimeTypeFor,
  XcapClient,
  type XcapClientOptions,
  type XcapPutOptions,
  type XcapRequestOptions,
  type XcapResource,
  type XcapResponse,
} from './xcap-client.js';
