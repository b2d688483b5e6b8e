// A list of tasks: a table on a wide screen, cards on a narrow one (the same markup; the explicit
// roles keep it a table for screen readers whatever the CSS does). Long titles wrap; nothing
// widens the page.
import type { Member, Status, Task } from "../../api/client";
import { STATUSES, STATUS_LABEL } from "../../lib/labels";
import { CommentCount, DueDate, StatusChip } from "../components/chips";
import { Icon } from "../components/icons";
import { ChoiceMenu } from "../components/menu";
import { TableHead } from "../components/table";
import { paths } from "../router";
import { memberName } from "../workspace/data";

export const STATUS_CHOICES = STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s], icon: <Icon name={s} /> }));

export function StatusControl({ task, canEdit, onStatus }: { task: Task; canEdit: boolean; onStatus: (task: Task, status: Status) => void }) {
  if (!canEdit) return <StatusChip status={task.status} />;
  return (
    <ChoiceMenu label={`Status of ${task.title}`} value={task.status} choices={STATUS_CHOICES} onChoose={(status) => onStatus(task, status)} class={`chip-menu chip-menu--${task.status}`}>
      <StatusChip status={task.status} />
    </ChoiceMenu>
  );
}

interface Props {
  caption: string;
  tasks: Task[];
  loading: boolean;
  canEdit: (task: Task) => boolean;
  onStatus: (task: Task, status: Status) => void;
  onDelete?: (task: Task) => void;
  /** Workspace tasks: the assignee column (names from the members). */
  members?: Member[];
  /** My tasks: the workspace column. */
  workspaceName?: (id: string) => string;
  drafts: (id: string) => boolean;
}

export function TaskTable({ caption, tasks, loading, canEdit, onStatus, onDelete, members, workspaceName, drafts }: Props) {
  const deletable = onDelete && tasks.some(canEdit);
  return (
    <table class="task-table" role="table" aria-busy={loading} data-layout={workspaceName ? "mine" : "workspace"}>
      <caption class="visually-hidden">{caption}</caption>
      <TableHead
        columns={[
          ["col-title", "Title"],
          ...(workspaceName ? [["col-workspace", "Workspace"] as [string, string]] : []),
          ["col-status", "Status"],
          ...(members ? [["col-assignee", "Assignee"] as [string, string]] : []),
          ["col-due", "Due"],
          ...(deletable ? [["col-actions", null] as [string, null]] : []),
        ]}
      />
      <tbody role="rowgroup">
        {tasks.map((task) => (
          <tr role="row" key={task.id}>
            <td role="cell" class="col-title">
              <a href={paths.task(task.workspace_id, task.id)} class="task-link" data-nav-item>
                {task.title}
              </a>
              <CommentCount count={task.comment_count} />
              {drafts(task.id) && <span class="badge badge--draft">Unsaved draft</span>}
            </td>
            {workspaceName && (
              <td role="cell" class="col-workspace">
                <span class="person">
                  <Icon name="folder" />
                  {workspaceName(task.workspace_id)}
                </span>
              </td>
            )}
            <td role="cell" class="col-status">
              <StatusControl task={task} canEdit={canEdit(task)} onStatus={onStatus} />
            </td>
            {members && (
              <td role="cell" class="col-assignee">
                <span class="person">
                  <Icon name="person" />
                  {memberName(members, task.assignee_id)}
                </span>
              </td>
            )}
            <td role="cell" class="col-due">
              <DueDate due={task.due_date} status={task.status} id={task.id} />
            </td>
            {deletable && (
              <td role="cell" class="col-actions">
                {canEdit(task) && (
                  <button type="button" class="icon-button icon-button--danger" aria-label={`Delete ${task.title}`} onClick={() => onDelete!(task)}>
                    <Icon name="trash" />
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
