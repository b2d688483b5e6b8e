// Quick add, at the top of a workspace's tasks: type a title, press Enter. "More fields" opens
// the rest of the form. `c` anywhere on the page comes here.
import { useEffect, useState } from "preact/hooks";
import type { Member, Status, Task, TaskInput } from "../../api/client";
import { LIMITS } from "../../lib/labels";
import { ErrorAlert } from "../components/feedback";
import { TextField } from "../components/fields";
import { Icon } from "../components/icons";
import { useServices } from "../context";
import { useAction } from "../hooks";
import { useShortcut } from "../shortcuts";
import { EMPTY_TASK, TASK_FIELDS, TaskFields, firstInvalid, serverErrors, validateTask, type TaskErrors } from "./fields";

export const QUICK_ADD_ID = "quick-add-title";

/** `status` and `assignee`: the list's filters, so that a new task shows in the list it is added to. */
export function QuickAdd({ workspaceId, members, status, assignee, onAdded }: { workspaceId: string; members: Member[]; status?: Status; assignee?: string; onAdded: (task: Task) => void }) {
  const { api } = useServices();
  const blank = { ...EMPTY_TASK, status: status ?? "todo", assignee_id: assignee || null };
  const [draft, setDraft] = useState<TaskInput>(blank);
  useEffect(() => setDraft((current) => ({ ...current, status: blank.status, assignee_id: blank.assignee_id })), [blank.status, blank.assignee_id]);
  const [more, setMore] = useState(false);
  const [checked, setChecked] = useState<TaskErrors>({});
  const create = useAction();
  const errors = { ...serverErrors(create.error), ...checked };
  useShortcut("c", () => document.getElementById(QUICK_ADD_ID)?.focus());

  const change = (next: TaskInput) => {
    setDraft(next);
    // A problem goes away as soon as it is fixed; new ones wait for the next submit.
    const now = validateTask(next);
    setChecked((previous) => Object.fromEntries(Object.entries(previous).filter(([key]) => now[key as keyof TaskInput])));
    if (create.error) create.setError(null);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const problems = validateTask(draft);
    setChecked(problems);
    if (Object.keys(problems).length) {
      if (!more && TASK_FIELDS.some((k) => k !== "title" && problems[k])) setMore(true);
      setTimeout(() => firstInvalid("quick-add", problems)?.focus(), 0);
      return;
    }
    void create.run(async () => {
      const { data } = await api.createTask(workspaceId, { ...draft, title: draft.title.trim() });
      setDraft(blank);
      onAdded(data);
      document.getElementById(QUICK_ADD_ID)?.focus();
    });
  };

  return (
    <form class="quick-add" aria-label="Add a task" onSubmit={submit} noValidate>
      <div class="quick-add-row">
        <TextField
          id={QUICK_ADD_ID}
          label="New task"
          placeholder="What needs doing?"
          value={draft.title}
          onInput={(title) => change({ ...draft, title })}
          max={LIMITS.title}
          error={errors.title}
          class="grow"
        />
        <div class="quick-add-actions">
          <button type="submit" class="button button--primary" disabled={create.busy}>
            <Icon name="plus" />
            {create.busy ? "Adding…" : "Add task"}
          </button>
          <button type="button" class="button button--ghost" aria-expanded={more} aria-controls="quick-add-more" onClick={() => setMore(!more)}>
            {more ? "Fewer fields" : "More fields"}
          </button>
        </div>
      </div>
      <div id="quick-add-more" hidden={!more}>
        <TaskFields idPrefix="quick-add" value={draft} onChange={change} members={members} errors={errors} without={["title"]} />
      </div>
      <ErrorAlert error={create.error} fields={TASK_FIELDS} />
    </form>
  );
}
