// The signed-in account: who you are, two-step sign-in (TOTP), sign out everywhere.
import { useState } from "preact/hooks";
import { ErrorAlert, PageTitle, Status } from "../components/feedback";
import { useAction } from "../hooks";
import { useServices } from "../context";

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
