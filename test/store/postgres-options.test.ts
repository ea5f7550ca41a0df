/**
 * postgresStorage's numeric options are checked before use (no database needed: the check runs
 * when the storage is created). `keepaliveSeconds` is written into the SQL text of the lock
 * session's setup, and a `heartbeatMs` of 0 or NaN made the heartbeat time out at once.
 */
import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import { postgresStorage } from '../../src/store/postgres-storage.js';

// Never used: creating the storage issues no query.
const pool = {} as Parameters<typeof postgresStorage>[0];

describe('postgresStorage options', () => {
  it.each([
    ['keepaliveSeconds', "3', false); DROP TABLE rxcap_values; --"],
    ['keepaliveSeconds', 2.5],
    ['keepaliveSeconds', 0],
    ['heartbeatMs', 0],
    ['heartbeatMs', Number.NaN],
    ['heartbeatMs', 10 ** 12],
  ])('refuses %s = %s with XcapValidationError', (name, value) => {
    const create = () => postgresStorage(pool, { [name]: value } as never);
    expect(create).toThrow(XcapValidationError);
    expect(create).toThrow(new RegExp(name));
  });

  it('accepts the defaults and sensible values', async () => {
    const storage = postgresStorage(pool, { heartbeatMs: 2000, keepaliveSeconds: 3 });
    expect(storage).toBeDefined();
    await storage.close();
  });
});
