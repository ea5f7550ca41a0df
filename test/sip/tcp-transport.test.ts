import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { splitSipStream, TcpTransport } from '../../src/sip/tcp-transport.js';

function holder(...chunks: string[]) {
  let buf: Buffer = Buffer.alloc(0);
  const h = {
    takeBuffer: () => buf,
    keepBuffer: (rest: Buffer) => {
      buf = rest;
    },
  };
  const out: string[] = [];
  for (const c of chunks) {
    buf = Buffer.concat([buf, Buffer.from(c, 'utf8')]);
    out.push(...splitSipStream(h));
  }
  return { out, rest: () => buf.toString('utf8') };
}

const msg = (body: string) =>
  `NOTIFY sip:a@b SIP/2.0\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('splitSipStream (RFC 3261 §18.3)', () => {
  it('cuts messages by Content-Length in bytes, across chunks, skipping CRLF keep-alives', () => {
    const a = msg('héllo');
    const b = msg('');
    const whole = `\r\n\r\n${a}\r\n${b}`;
    const { out, rest } = holder(whole.slice(0, 20), whole.slice(20, 45), whole.slice(45));
    expect(out).toEqual([a, b]);
    expect(rest()).toBe('');
  });

  it('waits for the rest of a body', () => {
    const a = msg('0123456789');
    const { out, rest } = holder(a.slice(0, -3));
    expect(out).toEqual([]);
    expect(rest()).toBe(a.slice(0, -3));
  });

  it('refuses a Content-Length that is not a number (the body would be read as the next message)', () => {
    const good = msg('ok');
    const bad = 'NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 1x\r\n\r\n1x';
    let error: unknown;
    try {
      holder(`${good}${bad}`);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(/Content-Length/);
    expect((error as { messages?: string[] }).messages).toEqual([good]);
  });

  it('refuses headers that do not end within 64 KiB, or a body over 16 MiB (memory bound)', () => {
    expect(() => holder(`NOTIFY sip:a@b SIP/2.0\r\nX: ${'a'.repeat(70_000)}`)).toThrow(/64 KiB/);
    expect(() => holder('NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 20000000\r\n\r\n')).toThrow(
      /16 MiB/,
    );
  });

  it('reads the compact form l:', () => {
    const m = 'SIP/2.0 200 OK\r\nl: 2\r\n\r\nok';
    expect(holder(`${m}${m}`).out).toEqual([m, m]);
  });
});

describe('TcpTransport', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('a large body in many chunks is joined once (the peer decides the chunking)', () => {
    const t = new TcpTransport(undefined, { server: '127.0.0.1:5060' });
    const messages: string[] = [];
    t.onMessage = (m) => messages.push(m);
    const whole = Buffer.from(`${msg('x'.repeat(4 * 1024 * 1024))}${msg('next')}`, 'utf8');
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      for (let i = 0; i < whole.length; i += 16 * 1024) t.receive(whole.subarray(i, i + 16 * 1024));
      // Before: one join per chunk, 257 copies of a growing buffer (O(size²) for a 16 MiB body).
      expect(concat.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      concat.mockRestore();
    }
    expect(messages.map((m) => m.length)).toEqual([
      msg('x'.repeat(4 * 1024 * 1024)).length,
      msg('next').length,
    ]);
  });

  it('connects, reports its local address, sends and receives framed messages', async () => {
    let peer: Socket | undefined;
    const received: string[] = [];
    const server = createServer((s) => {
      peer = s;
      s.on('data', (d) => received.push(d.toString()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    close = () => server.close();
    const port = (server.address() as { port: number }).port;
    const t = new TcpTransport(undefined, { server: `127.0.0.1:${port}` });
    const messages: string[] = [];
    t.onMessage = (m) => messages.push(m);
    await t.connect();
    expect(t.isConnected()).toBe(true);
    expect(t.protocol).toBe('TCP');
    expect(t.localContactHost).toMatch(/^127\.0\.0\.1:\d+$/);
    await t.send('OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(received.join('')).toContain('OPTIONS sip:x');
    peer!.write(msg('a'));
    peer!.write(msg('b').slice(0, 10));
    await new Promise((r) => setTimeout(r, 20));
    peer!.write(msg('b').slice(10));
    await new Promise((r) => setTimeout(r, 20));
    expect(messages).toEqual([msg('a'), msg('b')]);
    let disconnected = false;
    t.onDisconnect = () => {
      disconnected = true;
    };
    peer!.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(disconnected).toBe(true);
    expect(t.isConnected()).toBe(false);
  });

  it('drops the connection on a broken stream, after delivering the messages before it', async () => {
    let peer: Socket | undefined;
    const server = createServer((s) => {
      peer = s;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    close = () => server.close();
    const port = (server.address() as { port: number }).port;
    const t = new TcpTransport(undefined, { server: `127.0.0.1:${port}` });
    const messages: string[] = [];
    t.onMessage = (m) => messages.push(m);
    let reason: Error | undefined;
    t.onDisconnect = (e) => {
      reason = e;
    };
    await t.connect();
    await new Promise((r) => setTimeout(r, 20));
    peer!.write(`${msg('a')}NOTIFY sip:a@b SIP/2.0\r\nContent-Length: nope\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    expect(messages).toEqual([msg('a')]);
    expect(t.isConnected()).toBe(false);
    expect(reason?.message).toMatch(/Content-Length/);
  });

  it('rejects connect when nobody listens', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const t = new TcpTransport(undefined, { server: `127.0.0.1:${port}` });
    await expect(t.connect()).rejects.toThrow(/SIP connection to 127\.0\.0\.1:\d+ failed/);
  });
});
