// Small labels with meaning: a task's status, a due date (overdue and due soon in colour and in
// words), a role. Colour is never the only sign.
import type { Role, Status } from "../../api/client";
import { dueState, formatDateLong, relativeDue } from "../../lib/dates";
import { ROLE_LABEL, STATUS_LABEL, thousands } from "../../lib/labels";
import { Icon } from "./icons";

export function StatusChip({ status }: { status: Status }) {
  return (
    <span class={`chip chip--${status}`}>
      <Icon name={status} />
      {STATUS_LABEL[status]}
    </span>
  );
}

/** A task's comments, when it has any: "3", read as "3 comments". */
export function CommentCount({ count }: { count: number }) {
  if (!count) return null;
  return (
    <span class="comment-count">
      <Icon name="comment" />
      {thousands(count)}
      <span class="visually-hidden">{count === 1 ? " comment" : " comments"}</span>
    </span>
  );
}

export function RoleBadge({ role }: { role: Role }) {
  return <span class={`badge badge--${role}`}>{ROLE_LABEL[role]}</span>;
}

/** "3 days overdue" / "Due tomorrow" / "Due in 5 days"; the exact date shows on hover and on
 * keyboard focus (and is its description for screen readers). */
export function DueDate({ due, status, id }: { due: string | null; status: Status; id: string }) {
  if (!due) return <span class="due">No due date</span>;
  const state = dueState(due, status);
  const tip = `due-${id}`;
  return (
    <span class={`due due--${state}`} tabIndex={0} aria-describedby={tip}>
      <Icon name={state === "overdue" ? "alert" : state === "soon" ? "clock" : "calendar"} />
      <time dateTime={due}>{relativeDue(due, status)}</time>
      <span class="tooltip" role="tooltip" id={tip}>
        {formatDateLong(due)}
      </span>
    </span>
  );
}
