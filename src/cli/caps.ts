/**
 * `rxcap caps`: the server's xcap-caps document (RFC 4825 §12), decoded.
 */
import { decodeXcapCaps } from '../codecs/xcap-caps.js';
import { parseXml } from '../codecs/xml/parse.js';
import type { ParsedCommand } from './args.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { accountOf, type CliIo, clientOf, printable, printableJson, untilAborted } from './io.js';

/**
 * Runs `caps`.
 *
 * @example await runCaps(parseCommand('caps', ['--json']), io)
 */
export async function runCaps(cmd: ParsedCommand, io: CliIo): Promise<ExitCode> {
  const client = clientOf(await accountOf(cmd, io));
  const r = await untilAborted(client.get('xcap-caps', { global: true }), io.signal);
  if (r === undefined) return EXIT.interrupted;
  const caps = decodeXcapCaps(parseXml(r.bytes));
  const out = {
    auids: [...caps.auids],
    extensions: [...caps.extensions],
    namespaces: [...caps.namespaces],
  };
  if (cmd.values.json === true) io.stdout.write(`${printableJson(out, 2)}\n`);
  else {
    for (const [name, values] of Object.entries(out))
      io.stdout.write(`${name}:${values.map((v) => `\n  ${printable(v)}`).join('')}\n`);
  }
  return EXIT.ok;
}
