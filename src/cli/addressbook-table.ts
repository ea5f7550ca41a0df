/**
 * The addressbook as plain-text tables for `rxcap sync --format table`. Every value came from
 * a server: control characters are replaced and long cells are cut.
 */
import type { Addressbook } from '../model/addressbook.js';
import type { EventHandling } from '../model/event-handling.js';
import { printable } from './io.js';

const MAX_CELL = 60;

function cell(text: string): string {
  const t = printable(text);
  return t.length > MAX_CELL ? `${t.slice(0, MAX_CELL - 1)}…` : t;
}

function handling(h: EventHandling): string {
  return h.subscribe ? `${h.policy}, subscribe` : h.policy;
}

function table(title: string, header: readonly string[], rows: readonly string[][]): string {
  const all = [header, ...rows.map((r) => r.map(cell))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [`${title} (${rows.length})`, ...(rows.length === 0 ? [] : all.map(line))].join('\n');
}

/**
 * Contacts, groups and policies as three tables.
 *
 * @example stdout.write(addressbookTable(book))
 */
export function addressbookTable(book: Addressbook): string {
  const groupsOf = (id: string) =>
    book.groups
      .filter((g) => g.contactIds.includes(id))
      .map((g) => g.name)
      .join(', ');
  const contacts = book.contacts.map((c) => [
    c.name,
    c.uris.map((u) => (u.uri === c.defaultUri ? `${u.uri} (default)` : u.uri)).join(', '),
    handling(c.presence),
    handling(c.dialog),
    groupsOf(c.id),
  ]);
  const names = new Map(book.contacts.map((c) => [c.id, c.name]));
  const groups = book.groups.map((g) => [
    g.name,
    g.contactIds.map((id) => names.get(id) ?? id).join(', '),
  ]);
  const policies = book.policies.map((p) => [
    p.name,
    p.uri,
    handling(p.presence),
    handling(p.dialog),
  ]);
  return `${[
    table('Contacts', ['NAME', 'URIS', 'PRESENCE', 'DIALOG', 'GROUPS'], contacts),
    table('Groups', ['NAME', 'MEMBERS'], groups),
    table('Policies', ['NAME', 'URI', 'PRESENCE', 'DIALOG'], policies),
  ].join('\n\n')}\n`;
}
