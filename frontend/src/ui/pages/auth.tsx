// Sign in (with its MFA steps), sign up, confirm the emailed code, reset a forgotten password.
import { useState } from "preact/hooks";
import { CognitoError } from "../../cognito/client";
import type { SignInStep } from "../../cognito/auth";
import { entryPath, navigate } from "../router";
import { ErrorAlert, PageTitle, Status } from "../components/feedback";
import { useAction } from "../hooks";
import { takeFlash, useServices } from "../context";

const PASSWORD_HINT = "At least 12 characters, with upper- and lower-case letters, a number and a symbol.";

function value(event: Event): string {
  return (event.currentTarget as HTMLInputElement).value;
}

/** `after`: where to go once signed in (a deep link, or an invitation's page). */
export function SignIn({ reason, after, initialEmail = "" }: { reason?: string; after: string; initialEmail?: string }) {
  const services = useServices();
  const { auth } = services;
  const [flash] = useState(() => takeFlash(services) ?? reason ?? null);
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState<SignInStep | null>(null);
  const { busy, error, run } = useAction();

  const finish = (next: SignInStep | undefined) => {
    if (!next) return;
    setCode("");
    setPassword("");
    if (next.step === "done") navigate(after, { replace: true });
    else {
      setStep(next);
      queueMicrotask(() => document.getElementById("page-title")?.focus());
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        return await auth.signIn(email.trim(), password);
      } catch (caught) {
        if (caught instanceof CognitoError && caught.code === "UserNotConfirmedException") {
          services.flash.message = "Your account is not confirmed yet. Enter the code we emailed you.";
          navigate(entryPath("confirm", email.trim(), after));
          return undefined;
        }
        throw caught;
      }
    }).then(finish);
  };

  if (step?.step === "mfaCode" || step?.step === "mfaSetup") {
    const setup = step.step === "mfaSetup";
    return (
      <section class="narrow">
        <PageTitle>{setup ? "Set up two-step sign-in" : "Two-step sign-in"}</PageTitle>
        {setup && (
          <div>
            <p>Your account needs an authenticator app. Add this key to the app, then enter the code it shows.</p>
            <p>
              Key: <code class="secret">{step.secret}</code>
            </p>
            <p>
              <a href={step.otpauthUri}>Open in an authenticator app</a>
            </p>
          </div>
        )}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run(() => (setup ? auth.completeMfaSetup(code.trim()) : auth.answerMfa(code.trim()))).then(finish);
          }}
        >
          <label for="mfa-code">Code from your authenticator app</label>
          <input id="mfa-code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required value={code} onInput={(e) => setCode(value(e))} />
          <button type="submit" class="button button--primary" disabled={busy}>
            {setup ? "Verify and sign in" : "Verify"}
          </button>
        </form>
        <ErrorAlert error={error} />
        <p>
          <button type="button" class="link" onClick={() => setStep(null)}>
            Start again
          </button>
        </p>
      </section>
    );
  }

  if (step?.step === "newPassword") {
    return (
      <section class="narrow">
        <PageTitle>Choose a new password</PageTitle>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run(() => auth.setNewPassword(password)).then(finish);
          }}
        >
          <label for="new-password">New password</label>
          <input id="new-password" type="password" autoComplete="new-password" aria-describedby="new-password-hint" required value={password} onInput={(e) => setPassword(value(e))} />
          <p id="new-password-hint" class="hint">{PASSWORD_HINT}</p>
          <button type="submit" class="button button--primary" disabled={busy}>Set password and sign in</button>
        </form>
        <ErrorAlert error={error} />
      </section>
    );
  }

  return (
    <section class="narrow">
      <PageTitle>Sign in</PageTitle>
      {flash && <p class="notice" role="status">{flash}</p>}
      <form onSubmit={submit}>
        <label for="signin-email">Email</label>
        <input id="signin-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(value(e))} />
        <label for="signin-password">Password</label>
        <input id="signin-password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(value(e))} />
        <button type="submit" class="button button--primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorAlert error={error} />
      <p>
        <a href="/forgot">Forgot your password?</a>
      </p>
      <p>
        New here? <a href={entryPath("signup", "", after)}>Create an account</a>
      </p>
    </section>
  );
}

/** `invited`: opened from an invitation's link, with the invited address filled in. */
export function SignUp({ initialEmail = "", next = null, invited = false }: { initialEmail?: string; next?: string | null; invited?: boolean }) {
  const services = useServices();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  return (
    <section class="narrow">
      <PageTitle>Create an account</PageTitle>
      {invited && (
        <p class="notice" role="status">
          You have been invited to a workspace. Create an account with {initialEmail} to see the invitation and accept it.
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            const result = await services.auth.signUp(email.trim(), password);
            if (result.confirmed) {
              services.flash.message = "Your account is ready. Sign in.";
              navigate(entryPath("signin", email.trim(), next));
            } else {
              services.flash.message = `We emailed a confirmation code to ${result.destination ?? email.trim()}.`;
              navigate(entryPath("confirm", email.trim(), next));
            }
          });
        }}
      >
        <label for="signup-email">Email</label>
        <input
          id="signup-email"
          type="email"
          autoComplete="email"
          required
          value={email}
          aria-describedby={invited ? "signup-email-hint" : undefined}
          onInput={(e) => setEmail(value(e))}
        />
        {invited && (
          <p id="signup-email-hint" class="hint">
            The invitation is for this address: with another one, you will not see it.
          </p>
        )}
        <label for="signup-password">Password</label>
        <input id="signup-password" type="password" autoComplete="new-password" aria-describedby="signup-password-hint" required minLength={12} value={password} onInput={(e) => setPassword(value(e))} />
        <p id="signup-password-hint" class="hint">{PASSWORD_HINT}</p>
        <button type="submit" class="button button--primary" disabled={busy}>Create account</button>
      </form>
      <ErrorAlert error={error}>
        {error instanceof CognitoError && error.code === "UsernameExistsException" && (
          <p>
            <a href={entryPath("signin", email.trim(), next)}>Sign in with {email.trim()} instead</a>
          </p>
        )}
      </ErrorAlert>
      <p>
        Already have an account? <a href={entryPath("signin", email.trim(), next)}>Sign in</a>
      </p>
    </section>
  );
}

export function Confirm({ initialEmail, next = null }: { initialEmail: string; next?: string | null }) {
  const services = useServices();
  const [flash] = useState(() => takeFlash(services));
  const [email, setEmail] = useState(initialEmail);
  const [code, setCode] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  return (
    <section class="narrow">
      <PageTitle>Confirm your email</PageTitle>
      {flash && <p class="notice">{flash}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            await services.auth.confirmSignUp(email.trim(), code.trim());
            services.flash.message = "Your email is confirmed. Sign in.";
            navigate(entryPath("signin", email.trim(), next));
          });
        }}
      >
        <label for="confirm-email">Email</label>
        <input id="confirm-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(value(e))} />
        <label for="confirm-code">Confirmation code</label>
        <input id="confirm-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onInput={(e) => setCode(value(e))} />
        <button type="submit" class="button button--primary" disabled={busy}>Confirm</button>
      </form>
      <p>
        <button
          type="button"
          class="link"
          disabled={busy || !email.trim()}
          onClick={() =>
            void run(async () => {
              setStatus(null);
              await services.auth.resendCode(email.trim());
              setStatus(`We sent a new code to ${email.trim()}.`);
            })
          }
        >
          Send a new code
        </button>
      </p>
      <Status message={status} />
      <ErrorAlert error={error} />
    </section>
  );
}

export function Forgot() {
  const services = useServices();
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <section class="narrow">
      <PageTitle>Reset your password</PageTitle>
      {!sent ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run(async () => {
              await services.auth.forgotPassword(email.trim());
              setSent(true);
            });
          }}
        >
          <label for="forgot-email">Email</label>
          <input id="forgot-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(value(e))} />
          <button type="submit" class="button button--primary" disabled={busy}>Send a reset code</button>
        </form>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run(async () => {
              await services.auth.confirmForgotPassword(email.trim(), code.trim(), password);
              services.flash.message = "Your password is changed. Sign in with the new one.";
              navigate("/signin");
            });
          }}
        >
          <p class="notice" role="status">If {email.trim()} has an account, we emailed it a code.</p>
          <label for="reset-code">Reset code</label>
          <input id="reset-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onInput={(e) => setCode(value(e))} />
          <label for="reset-password">New password</label>
          <input id="reset-password" type="password" autoComplete="new-password" aria-describedby="reset-password-hint" required value={password} onInput={(e) => setPassword(value(e))} />
          <p id="reset-password-hint" class="hint">{PASSWORD_HINT}</p>
          <button type="submit" class="button button--primary" disabled={busy}>Set new password</button>
        </form>
      )}
      <ErrorAlert error={error} />
      <p>
        <a href="/signin">Back to sign in</a>
      </p>
    </section>
  );
}
