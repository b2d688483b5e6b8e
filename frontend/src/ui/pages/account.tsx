// The signed-in account: who you are, how you are emailed about notifications, two-step
// sign-in (TOTP).
import { useEffect, useState } from "preact/hooks";
import type { EmailPreference } from "../../api/client";
import { ErrorAlert, Loading, PageTitle, RetryAlert, Status } from "../components/feedback";
import { useAction, useLoad } from "../hooks";
import { useServices } from "../context";

/** When the digest goes out: 08:00 UTC, and the user's own time when that differs ("09:00
 * your time (08:00 UTC)" in Paris in winter). */
function digestTime(): string {
  const at = new Date();
  at.setUTCHours(8, 0, 0, 0);
  const local = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
  return local === "08:00" ? "08:00 UTC" : `${local} your time (08:00 UTC)`;
}

const EMAIL_CHOICES: [EmailPreference, string, string][] = [
  ["immediate", "Right away", "An email for each notification, as it happens."],
  ["daily", "Once a day", `One email a day with what you missed, at ${digestTime()}.`],
  ["off", "Never", "No notification emails. Invitations to workspaces are still emailed."],
];

function EmailPreferences() {
  const { api } = useServices();
  const loaded = useLoad(() => api.preferences(), []);
  const [choice, setChoice] = useState<EmailPreference | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const save = useAction();
  const saved = loaded.data?.email_notifications ?? null;
  useEffect(() => setChoice(saved), [saved]);
  return (
    <form
      class="panel"
      aria-labelledby="email-heading"
      onSubmit={(event) => {
        event.preventDefault();
        if (!choice) return;
        void save.run(async () => {
          setMessage(null);
          const result = await api.setPreferences(choice);
          loaded.setData(() => result);
          setMessage(`Saved. ${EMAIL_CHOICES.find(([value]) => value === result.email_notifications)?.[2] ?? ""}`);
        });
      }}
    >
      <h2 id="email-heading">Email notifications</h2>
      {loaded.loading && !loaded.data && <Loading what="your email settings" />}
      <RetryAlert error={loaded.error} retry={loaded.reload} />
      {loaded.data && (
        <>
          <fieldset class="choice">
            <legend>Email me about my notifications</legend>
            {EMAIL_CHOICES.map(([value, label, hint]) => (
              <label key={value} class="choice-option">
                <input type="radio" name="email-notifications" value={value} checked={choice === value} onChange={() => setChoice(value)} />
                <span>
                  <strong>{label}</strong>
                  <span class="choice-value muted">{hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <button type="submit" class="button button--primary" disabled={save.busy || choice === saved}>
            {save.busy ? "Saving…" : "Save email settings"}
          </button>
        </>
      )}
      <Status message={message} />
      <ErrorAlert error={save.error} />
    </form>
  );
}

export function Account() {
  const { auth, user } = useServices();
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [code, setCode] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction();
  return (
    <section class="narrow">
      <PageTitle>Your account</PageTitle>
      <p>
        Signed in as <strong>{user?.email}</strong>.
      </p>
      <EmailPreferences />
      <h2>Two-step sign-in</h2>
      <p>Protect your account with a code from an authenticator app each time you sign in.</p>
      {!setup ? (
        <button
          type="button"
          class="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              setMessage(null);
              setSetup(await auth.beginTotpSetup());
            })
          }
        >
          Set up an authenticator app
        </button>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              await auth.finishTotpSetup(code.trim());
              setSetup(null);
              setCode("");
              setMessage("Two-step sign-in is on. You will be asked for a code when you sign in.");
            });
          }}
        >
          <p>Add this key to your authenticator app, then enter the code it shows.</p>
          <p>
            Key: <code class="secret">{setup.secret}</code>
          </p>
          <p>
            <a href={setup.otpauthUri}>Open in an authenticator app</a>
          </p>
          <label for="totp-code">Code from your authenticator app</label>
          <input id="totp-code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required value={code} onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)} />
          <button type="submit" class="button button--primary" disabled={action.busy}>Turn on two-step sign-in</button>
          <button type="button" class="button" onClick={() => setSetup(null)}>Cancel</button>
        </form>
      )}
      <Status message={message} />
      <ErrorAlert error={action.error} />
    </section>
  );
}
