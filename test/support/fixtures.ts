/**
 * Where the reference-layout fixtures live inside the repository: a copy of
 * `shared/fixtures/reference-layout/` (the documents python3-sipsimple writes for a known
 * account), so that the tests run from any clone.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `test/fixtures/reference-layout`. */
export const REFERENCE_LAYOUT_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'reference-layout',
);
