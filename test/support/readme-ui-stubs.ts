/**
 * The UI widgets the README's tour leaves to the application (`statusBar`, `contactList`,
 * `toast`), for test/integration/readme-tour.test.ts: each prints what it is given, one line
 * per call, so that the test sees what the UI was told.
 */

/** The status bar: shows the manager's state. */
export const statusBar = { set: (state: string) => console.log(`[statusBar] ${state}`) };

/** The contact list: shows the contacts and groups by name. */
export const contactList = {
  render(contacts: readonly { name: string }[], groups: readonly { name: string }[]): void {
    const names = { contacts: contacts.map((c) => c.name), groups: groups.map((g) => g.name) };
    console.log(`[contactList] ${JSON.stringify(names)}`);
  },
};

/** A toast: shows an error. */
export const toast = (text: string): void => console.log(`[toast] ${text}`);
