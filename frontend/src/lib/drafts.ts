// Unsaved edits, kept in the tab's sessionStorage until they are saved or discarded: leaving the
// page, a reload, or a session that expires during Save (the user signs in again) loses nothing.
// Each user's drafts are apart; signing out removes them.
import type { KeyValueStore } from "../cognito/auth";

export interface Draft<T> {
  /** The version the edits started from, and its values (to merge with a later version). */
  baseVersion: number;
  base: T;
  mine: T;
  /** What to call it in a list of drafts ("Write the brief"). */
  title: string;
}

const PREFIX = "teamtasks.draft.";

export class Drafts {
  private listeners = new Set<() => void>();

  constructor(
    private readonly store: KeyValueStore & { readonly length: number; key(index: number): string | null },
    private readonly owner: () => string | null,
  ) {}

  private key(id: string): string | null {
    const owner = this.owner();
    return owner ? `${PREFIX}${owner}.${id}` : null;
  }

  get<T>(id: string): Draft<T> | null {
    const key = this.key(id);
    if (!key) return null;
    try {
      return JSON.parse(this.store.getItem(key) ?? "null") as Draft<T> | null;
    } catch {
      return null;
    }
  }

  has(id: string): boolean {
    return this.get(id) !== null;
  }

  put<T>(id: string, draft: Draft<T>): void {
    const key = this.key(id);
    if (!key) return;
    const existed = this.store.getItem(key) !== null;
    this.store.setItem(key, JSON.stringify(draft));
    if (!existed) this.changed();
  }

  remove(id: string): void {
    const key = this.key(id);
    if (!key || this.store.getItem(key) === null) return;
    this.store.removeItem(key);
    this.changed();
  }

  /** Every draft of every user (at sign-out). */
  clearAll(): void {
    const keys: string[] = [];
    for (let i = 0; i < this.store.length; i++) {
      const key = this.store.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key);
    }
    keys.forEach((key) => this.store.removeItem(key));
    if (keys.length) this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
