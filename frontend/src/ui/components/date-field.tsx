// A date field in the user's own format (lib/dates.ts: "24 Dec 2026", or "Dec 24, 2026" where the
// month comes first), instead of the browser's date input, whose order (12/24/2026 in a US-English
// browser) need not match the dates beside it. It also takes words: "tomorrow", "fri", "dec 24".
// While the text is not a date, the value is that text, so that the form can refuse it by name.
import { useEffect, useState } from "preact/hooks";
import { USER_ORDER, formatDate, formatDateLong, parseDate } from "../../lib/dates";
import { FieldError, inputValue } from "./fields";

export const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
export const DATE_EXAMPLE = USER_ORDER === "mdy" ? "Dec 24, 2026" : "24 Dec 2026";

export function DateField({ id, label, value, onChange, error }: { id: string; label: string; value: string | null; onChange: (value: string | null) => void; error?: string }) {
  const shown = (v: string | null) => (v && ISO_DAY.test(v) ? formatDate(v) : (v ?? ""));
  const [text, setText] = useState(shown(value));
  const [focused, setFocused] = useState(false);
  // A value set from outside (a reload, their version taken) shows at once, unless being typed.
  useEffect(() => {
    if (!focused) setText(shown(value));
  }, [value]);
  const understood = value && ISO_DAY.test(value) && text !== formatDate(value) ? formatDateLong(value) : null;
  const ids = [`${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="text"
        autoComplete="off"
        value={text}
        placeholder={DATE_EXAMPLE}
        aria-invalid={error ? true : undefined}
        aria-describedby={ids}
        onFocus={() => setFocused(true)}
        onInput={(event) => {
          const typed = inputValue(event);
          setText(typed);
          onChange(typed.trim() ? (parseDate(typed, new Date()) ?? typed) : null);
        }}
        onBlur={() => {
          setFocused(false);
          setText(shown(value));
        }}
      />
      <p class="hint" id={`${id}-hint`}>
        {understood ? `Understood: ${understood}` : `For example ${DATE_EXAMPLE}, or tomorrow, fri, dec 24`}
      </p>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
