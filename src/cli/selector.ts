/**
 * The node selector of a `get`/`put`/`delete`, from the command line: either raw
 * (`--node 'resource-lists/list[@name="friends"]'`, or as the positional argument, as
 * python-xcaplib's `xcapclient` takes it) or built step by step with typed options, so that
 * values never need XPath quoting:
 *
 *   --el resource-lists --el list --where name=friends --el entry --where uri=sip:bob@example.com
 *   --el list --pos 2 --attr name
 *
 * `--pos N` and `--where ATTR=VALUE` refine the `--el` before them; `--attr NAME` selects an
 * attribute of the last element and ends the selector; `--ns PREFIX=URI` binds a prefix.
 */
import { type NodeSelector, nodeSelector } from '../client/node-selector.js';
import { XcapValidationError } from '../errors.js';

/** A parsed option in command-line order (what `util.parseArgs` reports as tokens). */
export interface OptionToken {
  readonly name: string;
  readonly value: string | undefined;
}

interface Step {
  readonly name: string;
  position?: number;
  where?: Readonly<Record<string, string>>;
}

function pair(value: string | undefined, option: string): [string, string] {
  const at = value?.indexOf('=') ?? -1;
  if (value === undefined || at <= 0)
    throw new XcapValidationError(
      `--${option} takes NAME=VALUE, got ${value ?? 'nothing'}`,
      option,
    );
  return [value.slice(0, at), value.slice(at + 1)];
}

/**
 * The selector the options describe, or undefined when they name none (the whole document).
 * Throws XcapValidationError for options that do not fit together.
 *
 * @example selectorFromOptions([{ name: 'el', value: 'resource-lists' }], undefined)?.toString() // 'resource-lists'
 */
export function selectorFromOptions(
  tokens: readonly OptionToken[],
  raw: string | undefined,
): NodeSelector | string | undefined {
  const steps: Step[] = [];
  let attr: string | undefined;
  const ns: [string, string][] = [];
  for (const t of tokens) {
    const last = steps[steps.length - 1];
    switch (t.name) {
      case 'el':
        if (attr !== undefined) throw new XcapValidationError('--el after --attr', 'el');
        steps.push({ name: t.value ?? '' });
        break;
      case 'pos': {
        const n = Number(t.value);
        if (last === undefined)
          throw new XcapValidationError('--pos needs an --el before it', 'pos');
        if (!Number.isInteger(n) || n < 1)
          throw new XcapValidationError(`--pos takes an integer >= 1, got ${t.value}`, 'pos');
        last.position = n;
        break;
      }
      case 'where': {
        if (last === undefined)
          throw new XcapValidationError('--where needs an --el before it', 'where');
        if (last.where !== undefined)
          throw new XcapValidationError('one --where per --el (XCAP allows one test)', 'where');
        const [k, v] = pair(t.value, 'where');
        last.where = { [k]: v };
        break;
      }
      case 'attr':
        if (last === undefined)
          throw new XcapValidationError('--attr needs an --el before it', 'attr');
        attr = t.value;
        break;
      case 'ns':
        ns.push(pair(t.value, 'ns'));
        break;
    }
  }
  if (raw !== undefined) {
    if (steps.length > 0)
      throw new XcapValidationError(
        'give either a raw node selector or --el steps, not both',
        'node',
      );
    if (ns.length > 0) throw new XcapValidationError('--ns works with --el steps only', 'ns');
    return raw;
  }
  if (steps.length === 0) {
    if (ns.length > 0) throw new XcapValidationError('--ns without --el', 'ns');
    return undefined;
  }
  let sel = nodeSelector();
  for (const [p, uri] of ns) sel = sel.ns(p, uri);
  for (const s of steps) sel = sel.el(s.name, s.position, s.where);
  return attr === undefined ? sel : sel.attr(attr);
}
