// Headings, loading signs and errors: every failure is shown, with the problem's detail.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { ApiError } from "../../api/client";
import { fieldLabel } from "../../lib/labels";
import { Icon } from "./icons";
import { toasts } from "./toasts";

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The error's field messages, minus those a form shows on its fields. */
export function otherFieldErrors(error: unknown, shown: string[] = []): [string, string[]][] {
  if (!(error instanceof ApiError)) return [];
  return Object.entries(error.errors).filter(([field]) => !shown.includes(field));
}

export function ErrorAlert({ error, fields = [], children }: { error: unknown; fields?: string[]; children?: ComponentChildren }) {
  // An error that appears makes earlier success messages stale: they go.
  useEffect(() => {
    if (error) toasts.clearSuccesses();
  }, [error]);
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.requestId : null;
  const others = otherFieldErrors(error, fields);
  return (
    <div class="alert" role="alert">
      <Icon name="alert" />
      <div>
        <p>{messageOf(error)}</p>
        {others.length > 0 && (
          <ul>
            {others.map(([field, messages]) => (
              <li key={field}>
                {fieldLabel(field)}: {messages.join(" ")}
              </li>
            ))}
          </ul>
        )}
        {requestId && <p class="muted small">Request id: {requestId}</p>}
        {children}
      </div>
    </div>
  );
}

/** A load that failed, with the way to try it again. */
export function RetryAlert({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <ErrorAlert error={error}>
      <button type="button" class="button" onClick={retry}>
        Try again
      </button>
    </ErrorAlert>
  );
}

/** The page's one h1; focused after every route change (see App). */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const text = [children].flat().join("");
  useEffect(() => {
    document.title = `${text} · Team tasks`;
  }, [text]);
  return (
    <h1 tabIndex={-1} id="page-title">
      {children}
    </h1>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading-sign" role="status">
      <span class="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

/** A message about what just happened, announced politely (empty: nothing shown). */
export function Status({ message }: { message: string | null }) {
  return (
    <p class="status" role="status">
      {message ?? ""}
    </p>
  );
}
