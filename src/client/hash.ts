/**
 * The one hashing function of the Digest layer, on @noble/hashes (pure JS, audited), so that
 * Digest works in browsers too: WebCrypto has no MD5 (RFC 7616 §3.3 keeps it as the default
 * algorithm) and is asynchronous, and `node:crypto` is not there outside Node.
 */
import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha512_256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Digest algorithms (RFC 7616 §3.3) without their `-sess` suffix. */
export type DigestHashName = 'MD5' | 'SHA-256' | 'SHA-512-256';

const HASHES: Record<DigestHashName, (data: Uint8Array) => Uint8Array> = {
  MD5: md5,
  'SHA-256': sha256,
  'SHA-512-256': sha512_256,
};

/**
 * Lower-case hex digest of the UTF-8 bytes of `data`.
 *
 * @example hexHash('MD5', 'abc') // '900150983cd24fb0d6963f7d28e17f72'
 */
export function hexHash(algorithm: DigestHashName, data: string | Uint8Array): string {
  return bytesToHex(HASHES[algorithm](typeof data === 'string' ? utf8ToBytes(data) : data));
}
