import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { nodeDns } from '../src/dns-node.js';

describe('nodeDns (the manager’s Node DNS adapter)', () => {
  it('is cold: one lookup per subscription, with the resolver’s records', async () => {
    const asked: string[] = [];
    const dns = nodeDns({
      resolveTxt: async (name: string) => {
        asked.push(name);
        return [['https://xcap.example.org/xcap-root']];
      },
    });
    const lookup = dns.resolveTxt('xcap.example.org');
    expect(asked).toEqual([]);
    expect(await firstValueFrom(lookup)).toEqual([['https://xcap.example.org/xcap-root']]);
    await firstValueFrom(lookup);
    expect(asked).toEqual(['xcap.example.org', 'xcap.example.org']);
  });

  it('passes resolver failures (with their code) as errors', async () => {
    const dns = nodeDns({
      resolveTxt: async () => {
        throw Object.assign(new Error('queryTxt ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    await expect(firstValueFrom(dns.resolveTxt('xcap.nowhere.invalid'))).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });
});
