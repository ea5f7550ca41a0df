/**
 * The one hashing function of the Digest layer. Node-only (MD5 is not in WebCrypto); a
 * browser build would replace this file.
 */
import { createHash } from 'node:crypto';

/** Digest algorithms (RFC 7616 §3.3) without their `-sess` suffix. */
export type DigestHashName = 'MD5' | 'SHA-256' | 'SHA-512-256';

const NODE_NAMES: Record<DigestHashName, string> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

/**
 * Lower-case hex digest of the UTF-8 bytes of `data`.
 *
 * @example hexHash('MD5', 'abc') // '900150983cd24fb0d6963f7d28e17f72'
 */
export function hexHash(algorithm: DigestHashName, data: string | Uint8Array): string {
  return createHash(NODE_NAMES[algorithm]).update(data).digest('hex');
}
