// A task's comments as a thread, oldest first: members write, edit and delete their own,
// admins and owners delete any; viewers read. @mentions come from the workspace's members. The
// thread is read again when the changes feed reports a comment (the task page tells it), and an
// edit under way keeps its text whatever the refresh brings.
import { useEffect, useState } from "preact/hooks";
import { ApiError, etagOf, type Member, type Role, type TaskComment } from "../../api/client";
import { formatTime } from "../../lib/dates";
import { atLeast, plural } from "../../lib/labels";
import { MAX_MENTIONS, bodyParts, mentionedMembers } from "../../lib/mentions";
import { ConfirmDialog } from "../components/dialog";
import { ErrorAlert, Loading, RetryAlert } from "../components/feedback";
import { lengthProblem } from "../components/fields";
import { toasts } from "../components/toasts";
import { useServices } from "../context";
import { focusSoon, useAction, type Loaded } from "../hooks";
import { memberName } from "../workspace/data";
import { MentionField } from "./mention-field";

/** The API's limit on a comment's text. */
export const COMMENT_MAX = 5000;
const MENTION_HINT = "Type @ and the start of an email to mention a member; they are notified.";

function bodyProblem(body: string): string | null {
  if (!body.trim()) return "Write something first.";
  return lengthProblem("A comment", body, COMMENT_MAX);
}

/** What the API said about a comment, in words for the person writing it. */
function commentProblem(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 422 && error.errors.mentions) return "Someone you mentioned is no longer a member of this workspace. Remove the mention, or mention a member.";
  if (error.status === 422 && error.errors.body) return error.errors.body.join(" ");
  return null;
}

/** The ids of the members a text mentions, as the API takes them. */
function mentionsOf(body: string, members: Member[]): { ids: string[]; problem: string | null } {
  const ids = mentionedMembers(body, members).map((m) => m.user_id);
  return { ids, problem: ids.length > MAX_MENTIONS ? `A comment can mention at most ${MAX_MENTIONS} members: remove ${plural(ids.length - MAX_MENTIONS, "mention")}.` : null };
}

function Body({ comment, members }: { comment: TaskComment; members: Member[] }) {
  const emails = comment.mentions.map((id) => members.find((m) => m.user_id === id)?.email).filter((e): e is string => Boolean(e));
  return (
    <p class="comment-body">
      {bodyParts(comment.body, emails).map((part, index) =>
        part.mention ? (
          <span key={index} class="mention">
            {part.text}
          </span>
        ) : (
          part.text
        ),
      )}
    </p>
  );
}

/** Writing a comment, new or edited: the text with its mentions, checked before it is sent
 * (empty, too long, too many mentions), the API's refusals in words. */
function CommentForm({ id, name, label, value, onInput, members, busy, error, send, sending, onSend, onCancel }: {
  id: string;
  /** The form's name ("New comment"); `label` is its text's. */
  name: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  members: Member[];
  busy: boolean;
  error: unknown;
  send: string;
  sending: string;
  /** The text is fine: send it, with the ids of the members it mentions. */
  onSend: (mentions: string[]) => void;
  onCancel?: () => void;
}) {
  const [checked, setChecked] = useState<string | null>(null);
  const problem = checked ?? commentProblem(error);
  const submit = () => {
    const mentions = mentionsOf(value, members);
    const invalid = bodyProblem(value) ?? mentions.problem;
    setChecked(invalid);
    if (invalid) focusSoon(() => document.getElementById(id));
    else onSend(mentions.ids);
  };
  return (
    <form
      class="comment-form"
      aria-label={name}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <MentionField
        id={id}
        label={label}
        value={value}
        onInput={(text) => {
          setChecked(null);
          onInput(text);
        }}
        members={members}
        max={COMMENT_MAX}
        error={problem}
        hint={MENTION_HINT}
        onEscape={onCancel}
        onSubmit={submit}
      />
      <div class="actions">
        <button type="submit" class="button button--primary" disabled={busy}>
          {busy ? sending : send}
        </button>
        {onCancel && (
          <button type="button" class="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {!problem && (
        <ErrorAlert
          error={
            error instanceof ApiError && error.isConflict
              ? new Error("This comment was changed in another tab or window since you opened it. Your text is kept: save again to replace that version.")
              : error
          }
          fields={["body", "mentions"]}
        />
      )}
    </form>
  );
}

function CommentItem({ workspaceId, comment, members, mine, canEdit, canDelete, editing, onEdit, onChanged, readAgain }: {
  workspaceId: string;
  comment: TaskComment;
  members: Member[];
  mine: boolean;
  canEdit: boolean;
  canDelete: boolean;
  /** The text being edited, if this comment is being edited. */
  editing: string | null;
  onEdit: (text: string | null) => void;
  onChanged: () => void;
  /** Reads the thread now (a refusal: the next try must see the current version). */
  readAgain: () => Promise<void>;
}) {
  const { api } = useServices();
  const [confirming, setConfirming] = useState(false);
  const save = useAction();
  const remove = useAction();
  const author = mine ? "You" : memberName(members, comment.author_id);
  const when = formatTime(comment.created_at);
  const edited = comment.updated_at !== comment.created_at;
  const fieldId = `comment-edit-${comment.id}`;
  const isEditing = editing !== null;
  useEffect(() => {
    if (isEditing) focusSoon(() => document.getElementById(fieldId));
  }, [isEditing]);

  const submit = (mentions: string[]) => {
    if (editing === null) return;
    void save.run(async () => {
      try {
        await api.editComment(workspaceId, comment.task_id, comment.id, editing, mentions, etagOf(comment));
      } catch (error) {
        // Changed or deleted in another tab: the thread is read again before the user is told,
        // so that saving again goes against the current version; the text being edited stays.
        if (error instanceof ApiError && (error.isConflict || error.isGone)) await readAgain();
        throw error;
      }
      onEdit(null);
      onChanged();
      toasts.show({ message: "Comment saved." });
      focusSoon(() => document.getElementById(`comment-${comment.id}`));
    });
  };

  return (
    <li class="comment" id={`comment-${comment.id}`} tabIndex={-1} aria-labelledby={`comment-${comment.id}-by`}>
      <div class="comment-head">
        <span id={`comment-${comment.id}-by`}>
          <strong>{author}</strong>
          <span class="muted small">
            {" "}
            <time dateTime={comment.created_at}>{when}</time>
            {edited && " (edited)"}
          </span>
        </span>
        {editing === null && (canEdit || canDelete) && (
          <span class="comment-actions">
            {canEdit && (
              <button type="button" class="button button--ghost" aria-label={`Edit your comment from ${when}`} onClick={() => onEdit(comment.body)}>
                Edit
              </button>
            )}
            {canDelete && (
              <button type="button" class="button button--danger-ghost" aria-label={`Delete ${mine ? "your comment" : `the comment by ${author}`} from ${when}`} onClick={() => setConfirming(true)}>
                Delete
              </button>
            )}
          </span>
        )}
      </div>
      {editing === null ? (
        <Body comment={comment} members={members} />
      ) : (
        <CommentForm
          id={fieldId}
          name="Edit comment"
          label="Edit your comment"
          value={editing}
          onInput={(text) => {
            onEdit(text);
            if (save.error) save.setError(null);
          }}
          members={members}
          busy={save.busy}
          error={save.error}
          send="Save comment"
          sending="Saving…"
          onSend={submit}
          onCancel={() => onEdit(null)}
        />
      )}
      {confirming && (
        <ConfirmDialog
          title="Delete this comment?"
          message={mine ? "Your comment will be removed for everyone. This cannot be undone." : `The comment by ${author} will be removed for everyone. This cannot be undone.`}
          confirm="Delete comment"
          busy={remove.busy}
          onClose={() => setConfirming(false)}
          onConfirm={() =>
            void remove.run(async () => {
              try {
                await api.deleteComment(workspaceId, comment.task_id, comment.id, etagOf(comment));
              } catch (error) {
                if (!(error instanceof ApiError && error.isGone)) throw error; // gone already: as good
              }
              setConfirming(false);
              toasts.show({ message: "Comment deleted." });
              onChanged();
              focusSoon(() => document.getElementById("comments-heading"));
            })
          }
        >
          <ErrorAlert error={remove.error} />
        </ConfirmDialog>
      )}
    </li>
  );
}

export function CommentThread({ workspaceId, taskId, role, members, comments }: {
  workspaceId: string;
  taskId: string;
  role: Role;
  members: Member[];
  comments: Loaded<TaskComment[]>;
}) {
  const { api, user } = useServices();
  const [text, setText] = useState("");
  // Edits under way, by comment: they survive a refresh of the thread.
  const [edits, setEdits] = useState<Record<string, string>>({});
  const post = useAction();
  const canWrite = atLeast(role, "member");
  const list = comments.data ?? [];

  // A comment deleted (elsewhere) while its edit was under way: the text goes to the new
  // comment's box, not into nothing.
  useEffect(() => {
    const orphaned = Object.keys(edits).filter((id) => comments.data && !comments.data.some((c) => c.id === id));
    if (!orphaned.length) return;
    const kept = orphaned.map((id) => edits[id]).join("\n\n");
    setEdits((current) => Object.fromEntries(Object.entries(current).filter(([id]) => !orphaned.includes(id))));
    setText((current) => (current ? `${current}\n\n${kept}` : kept));
    toasts.show({ tone: "error", message: "A comment you were editing was deleted. Your text is in the box for a new comment." });
  }, [comments.data]);

  const readAgain = async () => {
    try {
      const list = await api.comments(workspaceId, taskId);
      comments.setData(() => list);
    } catch {
      comments.refresh();
    }
  };

  const submit = (mentions: string[]) =>
    void post.run(async () => {
      const { data } = await api.addComment(workspaceId, taskId, text, mentions);
      setText("");
      comments.setData((current) => (current && !current.some((c) => c.id === data.id) ? [...current, data] : current));
      toasts.show({ message: "Comment added." });
    });

  return (
    <section class="comments" aria-labelledby="comments-heading">
      <h2 id="comments-heading" tabIndex={-1}>
        Comments{comments.data ? <span class="count">{comments.data.length}</span> : null}
      </h2>
      {comments.loading && !comments.data && <Loading what="the comments" />}
      <RetryAlert error={comments.error} retry={comments.reload} />
      {comments.data && list.length === 0 && <p class="muted">No comments yet.</p>}
      {list.length > 0 && (
        <ol class="comment-list" aria-label="Comments, oldest first">
          {list.map((comment) => {
            const mine = comment.author_id === user?.sub;
            return (
              <CommentItem
                key={comment.id}
                workspaceId={workspaceId}
                comment={comment}
                members={members}
                mine={mine}
                canEdit={mine && canWrite}
                canDelete={(mine && canWrite) || atLeast(role, "admin")}
                editing={edits[comment.id] ?? null}
                onEdit={(value) => {
                  setEdits((current) => {
                    const next = { ...current };
                    if (value === null) delete next[comment.id];
                    else next[comment.id] = value;
                    return next;
                  });
                  if (value === null) focusSoon(() => document.getElementById(`comment-${comment.id}`));
                }}
                onChanged={comments.refresh}
                readAgain={readAgain}
              />
            );
          })}
        </ol>
      )}
      {canWrite ? (
        <CommentForm
          id="new-comment"
          name="New comment"
          label="Add a comment"
          value={text}
          onInput={(value) => {
            setText(value);
            if (post.error) post.setError(null);
          }}
          members={members}
          busy={post.busy}
          error={post.error}
          send="Comment"
          sending="Sending…"
          onSend={submit}
        />
      ) : (
        <p class="notice">Viewers can read the comments, but not write them.</p>
      )}
    </section>
  );
}

