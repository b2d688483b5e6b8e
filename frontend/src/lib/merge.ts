// Two people edited one thing: what each changed since the version both started from (base).

export interface Merge<T> {
  /** Each field: theirs where only they changed it, mine where only I did (or we agree). */
  merged: T;
  /** Fields both changed, to different values: the user chooses, field by field. */
  conflicts: (keyof T)[];
  /** Fields only they changed (taken as theirs). */
  theirs: (keyof T)[];
}

/** Equal values; lists (a task's labels) by their items, in order. */
export function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

export function threeWay<T extends object>(base: T, mine: T, theirs: T): Merge<T> {
  const merged = { ...theirs };
  const conflicts: (keyof T)[] = [];
  const taken: (keyof T)[] = [];
  for (const field of Object.keys(base) as (keyof T)[]) {
    const iChanged = !same(mine[field], base[field]);
    const theyChanged = !same(theirs[field], base[field]);
    if (iChanged) merged[field] = mine[field];
    if (iChanged && theyChanged && !same(mine[field], theirs[field])) conflicts.push(field);
    else if (theyChanged && !iChanged) taken.push(field);
  }
  return { merged, conflicts, theirs: taken };
}

/** The fields of `next` that differ from `current`: what a PATCH must send. */
export function changedFields<T extends object>(current: T, next: T): Partial<T> {
  const changes: Partial<T> = {};
  for (const field of Object.keys(next) as (keyof T)[]) {
    if (!same(next[field], current[field])) changes[field] = next[field];
  }
  return changes;
}
