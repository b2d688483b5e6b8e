// A task's fields as a form: checked before sending (required, limits), with the API's own
// messages on the field they belong to.
import { ApiError, type Label, type Member, type Priority, type Status, type Task, type TaskInput } from "../../api/client";
import { LIMITS, PRIORITIES, PRIORITY_LABEL, STATUSES, STATUS_LABEL } from "../../lib/labels";
import { DATE_EXAMPLE, DateField, ISO_DAY } from "../components/date-field";
import { FieldError, TextField, inputValue, lengthProblem } from "../components/fields";
import { LabelPicker } from "./labels";
import { Options } from "../components/table";
import { FORMER_MEMBER } from "../workspace/data";

export type TaskErrors = Partial<Record<keyof TaskInput, string>>;
export const TASK_FIELDS: (keyof TaskInput)[] = ["title", "description", "status", "priority", "due_date", "assignee_id", "labels"];
export const EMPTY_TASK: TaskInput = { title: "", description: "", status: "todo", due_date: null, assignee_id: null, priority: "none", labels: [] };

export function toInput(task: Task): TaskInput {
  return {
    title: task.title,
    description: task.description,
    status: task.status,
    due_date: task.due_date,
    assignee_id: task.assignee_id,
    priority: task.priority ?? "none",
    labels: task.labels ?? [],
  };
}

export function validateTask(input: TaskInput): TaskErrors {
  const errors: TaskErrors = {};
  if (!input.title.trim()) errors.title = "Give the task a title.";
  else errors.title = lengthProblem("A title", input.title, LIMITS.title) ?? undefined;
  errors.description = lengthProblem("A description", input.description, LIMITS.description) ?? undefined;
  if (input.due_date && !ISO_DAY.test(input.due_date)) errors.due_date = `“${input.due_date}” is not a date: write it as ${DATE_EXAMPLE}, or tomorrow, fri, dec 24.`;
  for (const key of TASK_FIELDS) if (!errors[key]) delete errors[key];
  return errors;
}

/** The API's 422 messages, by field (the ones a task form has). */
export function serverErrors(error: unknown): TaskErrors {
  if (!(error instanceof ApiError) || error.status !== 422) return {};
  const errors: TaskErrors = {};
  for (const key of TASK_FIELDS) if (error.errors[key]) errors[key] = error.errors[key].join(" ");
  if (error.errors.assignee_id) errors.assignee_id = "Choose someone who is a member of this workspace.";
  if (error.errors.due_date) errors.due_date = "Enter a date, or leave it empty.";
  return errors;
}

export const firstInvalid = (prefix: string, errors: TaskErrors) => {
  const key = TASK_FIELDS.find((k) => errors[k]);
  return key ? document.getElementById(`${prefix}-${key === "due_date" ? "due" : key === "assignee_id" ? "assignee" : key}`) : null;
};

export function TaskFields({
  idPrefix,
  value,
  onChange,
  members,
  errors = {},
  without = [],
  labels,
}: {
  idPrefix: string;
  value: TaskInput;
  onChange: (value: TaskInput) => void;
  members: Member[];
  errors?: TaskErrors;
  without?: (keyof TaskInput)[];
  /** The workspace's labels, and what creating one needs; no label picker without them. */
  labels?: { workspaceId: string; all: Label[]; onCreated: (label: Label) => void };
}) {
  const set = <K extends keyof TaskInput>(key: K, v: TaskInput[K]) => onChange({ ...value, [key]: v });
  const id = (name: string) => `${idPrefix}-${name}`;
  const formerAssignee = value.assignee_id && !members.some((m) => m.user_id === value.assignee_id);
  const described = (name: string, error: string | undefined, hint?: boolean) => {
    const ids = [hint && `${id(name)}-hint`, error && `${id(name)}-error`].filter(Boolean).join(" ");
    return { "aria-invalid": error ? true : undefined, "aria-describedby": ids || undefined };
  };
  return (
    <div class="fields">
      {!without.includes("title") && (
        <TextField id={id("title")} label="Title" value={value.title} onInput={(v) => set("title", v)} max={LIMITS.title} required error={errors.title} />
      )}
      {!without.includes("description") && (
        <TextField
          id={id("description")}
          label="Description"
          multiline
          value={value.description}
          onInput={(v) => set("description", v)}
          max={LIMITS.description}
          countFrom={LIMITS.description - 1000}
          hint="Markdown works: **bold**, *italic*, `code`, - lists, > quotes, [links](https://…)."
          error={errors.description}
        />
      )}
      <div class="field-row">
        <div class="field">
          <label for={id("status")}>Status</label>
          <select id={id("status")} value={value.status} onChange={(e) => set("status", inputValue(e) as Status)}>
            <Options values={STATUSES} labels={STATUS_LABEL} />
          </select>
        </div>
        <div class="field">
          <label for={id("priority")}>Priority</label>
          <select id={id("priority")} value={value.priority} onChange={(e) => set("priority", inputValue(e) as Priority)}>
            <Options values={PRIORITIES} labels={PRIORITY_LABEL} />
          </select>
        </div>
        <DateField id={id("due")} label="Due date" value={value.due_date} onChange={(v) => set("due_date", v)} error={errors.due_date} />
        <div class="field">
          <label for={id("assignee")}>Assignee</label>
          <select id={id("assignee")} value={value.assignee_id ?? ""} onChange={(e) => set("assignee_id", inputValue(e) || null)} {...described("assignee", errors.assignee_id, !!formerAssignee)}>
            <option value="">Nobody</option>
            {formerAssignee && <option value={value.assignee_id!}>{FORMER_MEMBER} (no longer in this workspace)</option>}
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email}
              </option>
            ))}
          </select>
          {formerAssignee && (
            <p class="hint" id={`${id("assignee")}-hint`}>
              They have left the workspace: choose a member or Nobody to save any change.
            </p>
          )}
          <FieldError id={`${id("assignee")}-error`} message={errors.assignee_id} />
        </div>
      </div>
      {labels && !without.includes("labels") && (
        <div class="field">
          <span class="field-label" id={`${id("labels")}-label`}>
            Labels
          </span>
          <LabelPicker
            id={id("labels")}
            workspaceId={labels.workspaceId}
            labels={labels.all}
            value={value.labels}
            onChange={(ids) => set("labels", ids)}
            name="Choose labels"
            onCreated={labels.onCreated}
            canCreate
          />
          <FieldError id={`${id("labels")}-error`} message={errors.labels} />
        </div>
      )}
    </div>
  );
}
