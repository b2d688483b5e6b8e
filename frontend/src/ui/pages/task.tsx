// One task: every field, saved with If-Match. Edits are a draft until saved (kept across leaving
// the page, a reload, or signing in again); when someone else saved first, the user keeps
// theirs or mine, field by field. The task refreshes itself (a conditional GET) when the changes
// feed reports a change to it; its comments, when the feed reports a comment.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Member, type Task, type TaskInput, type Versioned } from "../../api/client";
import { touches } from "../../lib/changes";
import type { Draft } from "../../lib/drafts";
import { formatDate, formatTime } from "../../lib/dates";
import { STATUS_LABEL, atLeast, fieldLabel } from "../../lib/labels";
import { changedFields, threeWay } from "../../lib/merge";
import { CommentThread } from "../comments/thread";
import { ErrorAlert, Loading, PageTitle } from "../components/feedback";
import { Icon } from "../components/icons";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { useAction, useLoad } from "../hooks";
import { navigate, paths } from "../router";
import { deleteWithUndo } from "../tasks/deletes";
import { TASK_FIELDS, TaskFields, firstInvalid, serverErrors, toInput, validateTask, type TaskErrors } from "../tasks/fields";
import { memberName, useWorkspace } from "../workspace/data";
import { GoneNotice, WorkspaceGone } from "../workspace/frame";
import { useChanges } from "../workspace/live";

type Edit = Draft<TaskInput>;

interface Conflict {
  theirs: Versioned<Task>;
  base: TaskInput;
  mine: TaskInput;
  fields: (keyof TaskInput)[];
  taken: (keyof TaskInput)[];
  choice: Partial<Record<keyof TaskInput, "mine" | "theirs">>;
}

function shown(field: keyof TaskInput, value: TaskInput[keyof TaskInput], members: Member[]): string {
  if (field === "status") return STATUS_LABEL[value as Task["status"]];
  if (field === "assignee_id") return memberName(members, value as string | null);
  if (field === "due_date") return value ? formatDate(value as string) : "No due date";
  return value === "" ? "(empty)" : String(value);
}

function ConflictPanel({ conflict, members, busy, onChoose, onSave, onTakeTheirs }: {
  conflict: Conflict;
  members: Member[];
  busy: boolean;
  onChoose: (field: keyof TaskInput, choice: "mine" | "theirs") => void;
  onSave: () => void;
  onTakeTheirs: () => void;
}) {
  const theirs = toInput(conflict.theirs.data);
  return (
    <section class="conflict" aria-labelledby="conflict-heading">
      <h2 id="conflict-heading" tabIndex={-1}>
        <Icon name="alert" />
        Someone else changed this task
      </h2>
      <p>
        They saved version {conflict.theirs.data.version} while you were editing, so your changes were not saved yet. Nothing is lost:
        {conflict.fields.length ? " choose, for each field you both changed, which version to keep." : " none of your changes clash with theirs."}
      </p>
      {conflict.taken.length > 0 && <p class="muted">Their changes to {conflict.taken.map(fieldLabel).join(", ")} are kept.</p>}
      {conflict.fields.map((field) => (
        <fieldset key={field} class="choice">
          <legend>{fieldLabel(field)}</legend>
          {(["mine", "theirs"] as const).map((side) => (
            <label key={side} class="choice-option">
              <input type="radio" name={`choice-${field}`} checked={conflict.choice[field] === side} onChange={() => onChoose(field, side)} />
              <span>
                <strong>{side === "mine" ? "Keep mine" : "Take theirs"}</strong>
                <span class="choice-value">{shown(field, (side === "mine" ? conflict.mine : theirs)[field], members)}</span>
              </span>
            </label>
          ))}
        </fieldset>
      ))}
      <div class="actions">
        <button type="button" class="button button--primary" disabled={busy} onClick={onSave}>
          Save my changes on their version
        </button>
        <button type="button" class="button" disabled={busy} onClick={onTakeTheirs}>
          Discard mine, take theirs
        </button>
      </div>
    </section>
  );
}

export function TaskPage({ workspaceId, taskId }: { workspaceId: string; taskId: string }) {
  const { api, drafts } = useServices();
  const ws = useWorkspace(workspaceId);
  const loaded = useLoad(
    async (previous: Versioned<Task> | null) => (previous ? ((await api.taskIfChanged(workspaceId, taskId, previous.etag)) ?? previous) : api.task(workspaceId, taskId)),
    [workspaceId, taskId],
  );
  const comments = useLoad(() => api.comments(workspaceId, taskId), [workspaceId, taskId]);
  useChanges(workspaceId, (changes, resync) => {
    if (resync || touches(changes, "task", taskId)) loaded.refresh();
    if (resync || touches(changes, "comment")) comments.refresh();
  });
  const [edit, setEdit] = useState<Edit | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checked, setChecked] = useState<TaskErrors>({});
  const save = useAction();
  const restored = useRef(false);
  const task = loaded.data?.data;
  const members = ws.data?.members ?? [];
  const canEdit = ws.data ? atLeast(ws.data.workspace.role, "member") : false;
  const back = paths.workspace(workspaceId);
  const errors = { ...serverErrors(save.error), ...checked };

  const keep = (next: Edit | null) => {
    setEdit(next);
    if (next) drafts.put(taskId, next);
    else drafts.remove(taskId);
  };

  const openConflict = (theirs: Versioned<Task>, base: TaskInput, mine: TaskInput) => {
    const { merged, conflicts, theirs: taken } = threeWay(base, mine, toInput(theirs.data));
    const choice = Object.fromEntries(conflicts.map((f) => [f, "mine"]));
    setConflict({ theirs, base, mine: merged, fields: conflicts, taken, choice });
    setTimeout(() => document.getElementById("conflict-heading")?.focus(), 0);
  };

  // A draft from before (this tab, this user): restore it, on top of the latest version.
  useEffect(() => {
    if (!task || restored.current) return;
    restored.current = true;
    const draft = drafts.get<TaskInput>(taskId);
    if (!draft) return;
    if (draft.baseVersion === task.version) {
      setEdit(draft);
      setNotice("Your unsaved changes were restored.");
    } else {
      openConflict(loaded.data!, draft.base, draft.mine);
      setEdit(draft);
    }
  }, [task]);

  // The API refused a field: take the user to it.
  useEffect(() => {
    if (save.error) firstInvalid("task", serverErrors(save.error))?.focus();
  }, [save.error]);

  // Someone else saved while this page was open (seen by a refresh).
  const stale = Boolean(edit && task && !conflict && task.version !== edit.baseVersion);

  // Leaving: the draft stays, and the user is told where it is; closing the tab asks first.
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (drafts.has(taskId)) event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("beforeunload", warn);
      const draft = drafts.get<TaskInput>(taskId);
      if (draft) {
        toasts.show({
          message: `Your unsaved changes to “${draft.title}” are kept as a draft.`,
          action: { label: "Open the draft", run: () => navigate(paths.task(workspaceId, taskId)) },
          duration: 10_000,
        });
      }
    };
  }, [taskId]);

  if (ws.error instanceof ApiError && ws.error.isGone) {
    return (
      <section>
        <PageTitle>Workspace not found</PageTitle>
        <WorkspaceGone />
      </section>
    );
  }
  const gone = loaded.error instanceof ApiError && loaded.error.isGone;
  const form = edit?.mine ?? (task ? toInput(task) : null);

  const change = (next: TaskInput) => {
    if (!task) return;
    const base = edit?.base ?? toInput(task);
    const baseVersion = edit?.baseVersion ?? task.version;
    const now = validateTask(next);
    setChecked((previous) => Object.fromEntries(Object.entries(previous).filter(([key]) => now[key as keyof TaskInput])));
    if (save.error) save.setError(null);
    setNotice(null);
    keep(Object.keys(changedFields(base, next)).length ? { base, baseVersion, mine: next, title: task.title } : null);
  };

  const send = async (changes: Partial<TaskInput>, etag: string, base: TaskInput, mine: TaskInput) => {
    const result = await save.run(async () => {
      try {
        return await api.updateTask(workspaceId, taskId, changes, etag);
      } catch (error) {
        if (error instanceof ApiError && error.isConflict) {
          openConflict(await api.task(workspaceId, taskId), base, mine);
          return undefined;
        }
        throw error;
      }
    });
    if (!result) return;
    loaded.setData(() => result);
    keep(null);
    setConflict(null);
    setChecked({});
    setNotice(null);
    toasts.show({ message: "Saved." });
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (!task || !form) return;
    if (!edit) {
      setNotice("Nothing to save: no field was changed.");
      return;
    }
    const problems = validateTask(form);
    setChecked(problems);
    if (Object.keys(problems).length) {
      setTimeout(() => firstInvalid("task", problems)?.focus(), 0);
      return;
    }
    if (stale) {
      openConflict(loaded.data!, edit.base, edit.mine);
      return;
    }
    void send(changedFields(edit.base, form), `"${edit.baseVersion}"`, edit.base, form);
  };

  const resolve = () => {
    if (!conflict) return;
    const theirs = toInput(conflict.theirs.data);
    const chosen = { ...conflict.mine };
    for (const field of conflict.fields) if (conflict.choice[field] === "theirs") (chosen as Record<string, unknown>)[field] = theirs[field];
    const changes = changedFields(theirs, chosen);
    loaded.setData(() => conflict.theirs);
    if (!Object.keys(changes).length) {
      keep(null);
      setConflict(null);
      setNotice("Nothing left to save: the task already has the values you chose.");
      return;
    }
    const next = { base: theirs, baseVersion: conflict.theirs.data.version, mine: chosen, title: conflict.theirs.data.title };
    keep(next);
    void send(changes, conflict.theirs.etag, theirs, chosen);
  };

  const takeTheirs = () => {
    if (conflict) loaded.setData(() => conflict.theirs);
    keep(null);
    setConflict(null);
    save.setError(null);
    setNotice("Showing their version; your changes were discarded.");
    setTimeout(() => document.getElementById("page-title")?.focus(), 0);
  };

  const discard = () => {
    keep(null);
    setChecked({});
    save.setError(null);
    setNotice("Your changes were discarded.");
  };

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/workspaces">Workspaces</a>
        <span aria-hidden="true">›</span>
        <a href={back}>{ws.data?.workspace.name ?? "Workspace"}</a>
      </nav>
      <PageTitle>{gone ? "Task not found" : task ? task.title : "Task"}</PageTitle>
      {(loaded.loading || ws.loading) && !(task && ws.data) && !gone && <Loading what="the task" />}
      {gone ? (
        <GoneNotice what="This task was deleted, or you can no longer see it.">
          <p>
            <a href={back}>Back to the tasks of {ws.data?.workspace.name ?? "the workspace"}</a>
          </p>
        </GoneNotice>
      ) : (
        <ErrorAlert error={loaded.error ?? ws.error}>
          <button
            type="button"
            class="button"
            onClick={() => {
              loaded.reload();
              ws.reload();
            }}
          >
            Try again
          </button>
        </ErrorAlert>
      )}
      {task && form && ws.data && !gone && (
        <>
          <p class="meta">
            Created {formatTime(task.created_at)} by {memberName(members, task.created_by)} · Updated {formatTime(task.updated_at)} · Version {task.version}
          </p>
          {notice && (
            <div class="notice" role="status">
              <p>{notice}</p>
              {edit && notice.startsWith("Your unsaved") && (
                <button type="button" class="button button--ghost" onClick={discard}>
                  Discard them
                </button>
              )}
            </div>
          )}
          {stale && (
            <div class="notice notice--warning" role="status">
              <p>Someone else saved a newer version of this task while you were editing.</p>
              <button type="button" class="button" onClick={() => openConflict(loaded.data!, edit!.base, edit!.mine)}>
                Compare with theirs
              </button>
            </div>
          )}
          {conflict && (
            <ConflictPanel
              conflict={conflict}
              members={members}
              busy={save.busy}
              onChoose={(field, choice) => setConflict({ ...conflict, choice: { ...conflict.choice, [field]: choice } })}
              onSave={resolve}
              onTakeTheirs={takeTheirs}
            />
          )}
          <form onSubmit={submit} noValidate>
            <fieldset disabled={!canEdit || Boolean(conflict)} class="panel">
              <legend>{canEdit ? "Edit the task" : "The task (read only: viewers cannot change tasks)"}</legend>
              <TaskFields idPrefix="task" value={form} onChange={change} members={members} errors={errors} />
            </fieldset>
            {canEdit && !conflict && (
              <div class="actions">
                <button type="submit" class="button button--primary" disabled={save.busy}>
                  {save.busy ? "Saving…" : "Save changes"}
                </button>
                {edit && (
                  <button type="button" class="button" onClick={discard}>
                    Discard changes
                  </button>
                )}
                <button
                  type="button"
                  class="button button--danger-ghost"
                  onClick={() => {
                    drafts.remove(taskId);
                    deleteWithUndo(api, task, { etag: loaded.data!.etag });
                    navigate(back);
                  }}
                >
                  <Icon name="trash" />
                  Delete task
                </button>
              </div>
            )}
            <ErrorAlert error={save.error} fields={TASK_FIELDS}>
              {edit && <p>Your changes are kept as a draft on this device until you save or discard them.</p>}
            </ErrorAlert>
          </form>
          <CommentThread workspaceId={workspaceId} taskId={taskId} role={ws.data.workspace.role} members={members} comments={comments} />
        </>
      )}
    </section>
  );
}
