// The link at the foot of every notification email: turns the emails off without signing in.
// It asks first (a mail scanner that follows links must not unsubscribe anyone), then says what
// happened. Invitations are still emailed (the API sends those whatever the preference).
import { useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { ErrorAlert, PageTitle } from "../components/feedback";
import { Icon } from "../components/icons";
import { useServices } from "../context";
import { useAction } from "../hooks";
import { entryPath } from "../router";

const INVALID = "This unsubscribe link is not valid: it may be incomplete, or it was changed. Copy the whole link from the email, or sign in and turn the emails off under Account.";

export function UnsubscribePage({ token }: { token: string }) {
  const { api, user } = useServices();
  const [done, setDone] = useState(false);
  const action = useAction();
  const invalid = !token || (action.error instanceof ApiError && action.error.status === 400);
  const account = user ? "/account" : entryPath("signin", "", "/account");

  return (
    <section class="narrow">
      <PageTitle>Email notifications</PageTitle>
      {done ? (
        <div class="notice" role="status">
          <Icon name="check" />
          <p>
            Done: notification emails are off. You still see your notifications in the app, and invitations to workspaces are still emailed. You can
            turn the emails back on under <a href={account}>Account</a>.
          </p>
        </div>
      ) : invalid ? (
        <p class="alert" role="alert">
          <Icon name="alert" />
          <span>
            {INVALID} <a href={account}>Go to Account</a>
          </span>
        </p>
      ) : (
        <>
          <p>Stop the emails about your tasks and comments (assignments, comments, mentions, role changes)?</p>
          <p class="muted">You still see your notifications in the app, and invitations to workspaces are still emailed.</p>
          <button
            type="button"
            class="button button--primary"
            disabled={action.busy}
            onClick={() =>
              void action.run(async () => {
                await api.unsubscribe(token);
                setDone(true);
              })
            }
          >
            {action.busy ? "Turning them off…" : "Turn off notification emails"}
          </button>
          <ErrorAlert error={action.error} />
        </>
      )}
    </section>
  );
}
