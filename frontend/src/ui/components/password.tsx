// A new password with the pool's rules under it, each marked met or not as the user types. The
// rules are the field's description; a polite status says what is still needed once typing
// pauses (not on every key).
import { useEffect, useState } from "preact/hooks";
import { PASSWORD_RULES, unmetRules } from "../../lib/password";
import { FieldError, inputValue } from "./fields";
import { Icon } from "./icons";

const ANNOUNCE_AFTER_MS = 900;

/** What the password still needs, in a sentence (empty for an empty password). */
export function passwordNeeds(password: string): string {
  if (!password) return "";
  const unmet = unmetRules(password);
  return unmet.length ? `Still needed: ${unmet.map((rule) => rule.needed(password)).join(", ")}.` : "The password meets every rule.";
}

export function PasswordField({ id, label, value, onInput, error }: { id: string; label: string; value: string; onInput: (value: string) => void; error?: string | null }) {
  const [announced, setAnnounced] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setAnnounced(passwordNeeds(value)), ANNOUNCE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [value]);
  const rules = `${id}-rules`;
  const errorId = `${id}-error`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete="new-password"
        required
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${errorId} ${rules}` : rules}
        onInput={(event) => onInput(inputValue(event))}
      />
      <FieldError id={errorId} message={error} />
      <ul id={rules} class="password-rules" aria-label="What it must have">
        {PASSWORD_RULES.map((rule) => {
          const met = rule.met(value);
          return (
            <li key={rule.id} data-met={met ? "yes" : "no"}>
              <Icon name={met ? "check" : "todo"} />
              {rule.label}
              <span class="visually-hidden">{met ? " (met)" : " (not met yet)"}</span>
            </li>
          );
        })}
      </ul>
      {/* A live region without the status role: the page's own status messages stay the one
          "status" there is. */}
      <p class="visually-hidden" aria-live="polite" data-password-needs>
        {announced}
      </p>
    </div>
  );
}
