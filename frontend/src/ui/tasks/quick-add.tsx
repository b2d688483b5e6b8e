// Quick add, at the top of a workspace's tasks: type a title, press Enter. The title may carry a
// short syntax (lib/quick-add.ts: "tomorrow", "@ann", "#bug", "!1"), and what it understood shows
// under the box before anything is saved. "More fields" opens the rest of the form. `c` anywhere
// on the page comes here.
import { useEffect, useState } from "preact/hooks";
import type { Label, Member, Status, Task, TaskInput } from "../../api/client";
import { formatDateLong } from "../../lib/dates";
import { LIMITS, PRIORITY_LABEL } from "../../lib/labels";
import { type QuickParse, parseQuickAdd } from "../../lib/quick-add";
import { ErrorAlert } from "../components/feedback";
import { TextField } from "../components/fields";
import { Icon } from "../components/icons";
import { useServices } from "../context";
import { useAction } from "../hooks";
import { useShortcut } from "../shortcuts";
import { EMPTY_TASK, TASK_FIELDS, TaskFields, firstInvalid, serverErrors, validateTask, type TaskErrors } from "./fields";
import { LabelChip } from "./labels";

export const QUICK_ADD_ID = "quick-add-title";

/** The fields the short syntax gave, over those of the form. */
function applied(draft: TaskInput, parsed: QuickParse): TaskInput {
  return {
    ...draft,
    title: parsed.title,
    due_date: parsed.due_date ?? draft.due_date,
    assignee_id: parsed.assignee?.user_id ?? draft.assignee_id,
    priority: parsed.priority ?? draft.priority,
    labels: [...new Set([...draft.labels, ...parsed.labels.map((l) => l.id)])],
  };
}

function Preview({ parsed, labels }: { parsed: QuickParse; labels: Label[] }) {
  const parts = [
    parsed.due_date && <span key="due">Due {formatDateLong(parsed.due_date)}</span>,
    parsed.assignee && <span key="who">Assigned to {parsed.assignee.email}</span>,
    parsed.priority && <span key="priority">Priority {PRIORITY_LABEL[parsed.priority]}</span>,
    parsed.labels.length > 0 && (
      <span key="labels">
        Labels{" "}
        {parsed.labels.map((l) => {
          const label = labels.find((x) => x.id === l.id);
          return label && <LabelChip key={l.id} label={label} />;
        })}
      </span>
    ),
  ].filter(Boolean);
  return (
    <div class="quick-preview" id="quick-add-preview">
      {parts.length > 0 && (
        <p>
          <strong>Will add</strong> “{parsed.title || "…"}”: {parts}
        </p>
      )}
      {parsed.notes.map((note) => (
        <p key={note} class="muted">
          {note}
        </p>
      ))}
    </div>
  );
}

/** `status` and `assignee`: the list's filters, so that a new task shows in the list it is added to. */
export function QuickAdd({ workspaceId, members, labels = [], onLabelCreated, status, assignee, onAdded }: {
  workspaceId: string;
  members: Member[];
  labels?: Label[];
  onLabelCreated?: (label: Label) => void;
  status?: Status;
  assignee?: string;
  onAdded: (task: Task) => void;
}) {
  const { api } = useServices();
  const blank = { ...EMPTY_TASK, status: status ?? "todo", assignee_id: assignee || null };
  const [draft, setDraft] = useState<TaskInput>(blank);
  useEffect(() => setDraft((current) => ({ ...current, status: blank.status, assignee_id: blank.assignee_id })), [blank.status, blank.assignee_id]);
  const [more, setMore] = useState(false);
  const [checked, setChecked] = useState<TaskErrors>({});
  const create = useAction();
  const errors = { ...serverErrors(create.error), ...checked };
  useShortcut("c", () => document.getElementById(QUICK_ADD_ID)?.focus());
  const parsed = parseQuickAdd(draft.title, { today: new Date(), members, labels });
  const hasSyntax = Boolean(parsed.due_date || parsed.assignee || parsed.priority || parsed.labels.length || parsed.notes.length);

  const change = (next: TaskInput) => {
    setDraft(next);
    // A problem goes away as soon as it is fixed; new ones wait for the next submit.
    const now = validateTask(next);
    setChecked((previous) => Object.fromEntries(Object.entries(previous).filter(([key]) => now[key as keyof TaskInput])));
    if (create.error) create.setError(null);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const input = applied(draft, parsed);
    const problems = validateTask(input);
    setChecked(problems);
    if (Object.keys(problems).length) {
      if (!more && TASK_FIELDS.some((k) => k !== "title" && problems[k])) setMore(true);
      setTimeout(() => firstInvalid("quick-add", problems)?.focus(), 0);
      return;
    }
    void create.run(async () => {
      const { data } = await api.createTask(workspaceId, { ...input, title: input.title.trim() });
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
          placeholder="What needs doing? e.g. Call the printer fri @ann #print !2"
          value={draft.title}
          onInput={(title) => change({ ...draft, title })}
          max={LIMITS.title}
          error={errors.title}
          class="grow"
          extra={hasSyntax ? { "aria-describedby": [`${QUICK_ADD_ID}-count`, errors.title && `${QUICK_ADD_ID}-error`, "quick-add-preview"].filter(Boolean).join(" ") } : undefined}
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
      {hasSyntax && <Preview parsed={parsed} labels={labels} />}
      <div id="quick-add-more" hidden={!more}>
        <TaskFields
          idPrefix="quick-add"
          value={draft}
          onChange={change}
          members={members}
          errors={errors}
          without={["title"]}
          labels={onLabelCreated ? { workspaceId, all: labels, onCreated: onLabelCreated } : undefined}
        />
      </div>
      <ErrorAlert error={create.error} fields={TASK_FIELDS} />
    </form>
  );
}
