// The pieces of a task list's filters: a set of values chosen with checkboxes (statuses,
// priorities) and the search box (results as you type, once typing pauses). Their state lives in
// the URL (router.replaceQuery): a choice is a history entry, so Back undoes it, and a pasted
// link shows the same list.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../components/icons";
import { inputValue } from "../components/fields";
import { replaceQuery } from "../router";

/** How long typing must pause before the list follows the search box. */
export const SEARCH_DEBOUNCE_MS = 250;
/** The API's limit on `q`. */
export const SEARCH_MAX = 100;

export function SetFilter<T extends string>({ id, legend, values, labels, chosen, onChange, any }: {
  id: string;
  legend: string;
  values: readonly T[];
  labels: Record<T, string>;
  chosen: T[];
  /** `push`: the first change since the panel opened (one history entry for the ticks made in it). */
  onChange: (chosen: T[], push: boolean) => void;
  any: string;
}) {
  const [open, setOpen] = useState(false);
  const pushed = useRef(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLFieldSetElement>(null);
  useLayoutEffect(() => {
    if (open) panel.current?.querySelector("input")?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);
  const summary = chosen.length === 0 || chosen.length === values.length ? any : chosen.map((v) => labels[v]).join(", ");
  return (
    <div class="field set-filter menu-anchor" ref={root}>
      <span class="field-label" id={`${id}-label`}>
        {legend}
      </span>
      <button
        ref={button}
        id={id}
        type="button"
        class="select-button"
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        aria-labelledby={`${id}-label ${id}`}
        onClick={() => {
          pushed.current = false;
          setOpen(!open);
        }}
      >
        <span>{summary}</span>
        <Icon name="chevron" />
      </button>
      {open && (
        <fieldset
          class="menu set-filter-panel"
          id={`${id}-panel`}
          ref={panel}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.preventDefault();
              event.stopPropagation();
              setOpen(false);
              button.current?.focus();
            }
          }}
        >
          <legend class="visually-hidden">{legend}</legend>
          {values.map((value) => (
            <label key={value} class="check">
              <input
                type="checkbox"
                checked={chosen.includes(value)}
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  onChange(
                    values.filter((v) => (v === value ? on : chosen.includes(v))),
                    !pushed.current,
                  );
                  pushed.current = true;
                }}
              />
              {labels[value]}
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}

/** The search box: the list follows it as the user types (after a pause); `/` focuses it. */
export function SearchBox({ id, value, label }: { id: string; value: string; label: string }) {
  const [text, setText] = useState(value);
  const typing = useRef(false);
  // Back, Forward or "Clear filters" change the URL: the box follows unless it is being typed in.
  useEffect(() => {
    if (!typing.current) setText(value);
  }, [value]);
  useEffect(() => {
    if (!typing.current) return;
    const timer = setTimeout(() => {
      typing.current = false;
      replaceQuery({ q: text.trim().slice(0, SEARCH_MAX) || null });
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <div class="field search-field">
      <label for={id}>{label}</label>
      <div class="search-input">
        <Icon name="search" />
        <input
          id={id}
          type="search"
          value={text}
          autoComplete="off"
          placeholder="Words in the title"
          aria-keyshortcuts="/"
          onInput={(event) => {
            typing.current = true;
            setText(inputValue(event));
          }}
        />
      </div>
    </div>
  );
}
