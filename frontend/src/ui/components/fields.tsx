// Form fields with their label, hint, limit counter and error message, wired for assistive
// technology (aria-invalid, aria-describedby). No maxlength: a paste longer than the limit is
// kept and flagged, never cut silently.
import type { ComponentChildren, Ref } from "preact";
import { plural, thousands } from "../../lib/labels";
import { useEffect } from "preact/hooks";
import { Icon } from "./icons";
import { toasts } from "./toasts";

export function inputValue(event: Event): string {
  return (event.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
}

/** The message for a text over its limit, or null. */
export function lengthProblem(what: string, value: string, max: number): string | null {
  const over = value.length - max;
  return over > 0 ? `${what} can be at most ${thousands(max)} characters: remove ${plural(over, "character")}.` : null;
}

export function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  useEffect(() => {
    if (message) toasts.clearSuccesses();
  }, [message]);
  if (!message) return null;
  return (
    <p class="field-error" id={id}>
      <Icon name="alert" />
      {message}
    </p>
  );
}

interface TextFieldProps {
  id: string;
  label: ComponentChildren;
  value: string;
  onInput: (value: string) => void;
  error?: string | null;
  hint?: string;
  /** Show "n / max" and flag a longer text. */
  max?: number;
  /** Only show the counter from this length on (long texts). */
  countFrom?: number;
  multiline?: boolean;
  required?: boolean;
  type?: "text" | "email";
  autoComplete?: string;
  inputMode?: "numeric" | "email" | "text";
  placeholder?: string;
  class?: string;
  rows?: number;
  onKeyDown?: (event: KeyboardEvent) => void;
  /** For a field that does more (the mention autocomplete): the element, and attributes and
   * handlers of its own (ARIA, caret moves). */
  textareaRef?: Ref<HTMLTextAreaElement>;
  extra?: Record<string, unknown>;
  /** Placed against a multiline text box (a suggestions list). */
  children?: ComponentChildren;
}

export function TextField(props: TextFieldProps) {
  const { id, label, value, error, hint, max, multiline } = props;
  const counted = max !== undefined && value.length >= (props.countFrom ?? 0);
  const over = max !== undefined && value.length > max;
  const describedBy = [hint && `${id}-hint`, counted && `${id}-count`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    value,
    required: props.required,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
    onInput: (event: Event) => props.onInput(inputValue(event)),
    onKeyDown: props.onKeyDown,
    ...props.extra,
  };
  return (
    <div class={`field ${props.class ?? ""}`}>
      <div class="field-label">
        <label for={id}>{label}</label>
        {counted && (
          <span id={`${id}-count`} class={over ? "counter counter--over" : "counter"}>
            {thousands(value.length)} / {thousands(max!)}
            <span class="visually-hidden"> characters</span>
          </span>
        )}
      </div>
      {multiline ? (
        // Always the same wrapper (what goes with the text, such as suggestions, is placed
        // against the box): a textarea that moved in the tree would lose its focus.
        <div class="field-anchor">
          <textarea {...common} ref={props.textareaRef} rows={props.rows ?? 4} />
          {props.children}
        </div>
      ) : (
        <input {...common} type={(props.type ?? "text") as "text"} autoComplete={props.autoComplete} inputMode={props.inputMode} placeholder={props.placeholder} />
      )}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
