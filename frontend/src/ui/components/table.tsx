// Pieces of the app's tables and selects, written once.
import type { ComponentChildren } from "preact";

/** A table's head: [class, header] per column; a header of null is a hidden "Actions". The roles
 * are explicit so that a table stays a table for screen readers when CSS lays it out as cards. */
export function TableHead({ columns }: { columns: [string, ComponentChildren | null][] }) {
  return (
    <thead role="rowgroup">
      <tr role="row">
        {columns.map(([name, header]) => (
          <th key={name} role="columnheader" scope="col" class={name}>
            {header ?? <span class="visually-hidden">Actions</span>}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** <option>s for a select: an optional "any" first, then each value with its label. */
export function Options<T extends string>({ values, labels, any }: { values: T[]; labels: Record<T, string>; any?: string }) {
  return (
    <>
      {any !== undefined && <option value="">{any}</option>}
      {values.map((value) => (
        <option key={value} value={value}>
          {labels[value]}
        </option>
      ))}
    </>
  );
}
