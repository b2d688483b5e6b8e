// A menu button that chooses one value (a task's status, a member's role, the theme). Unlike a
// <select>, moving through the choices with the arrow keys saves nothing: only Enter, Space or a
// click does, and focus then returns to the button (WAI-ARIA menu button pattern).
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./icons";

export interface Choice<T extends string> {
  value: T;
  label: string;
  icon?: ComponentChildren;
}

interface Props<T extends string> {
  /** What is chosen ("Status of Write the brief"); the button's name adds the current value. */
  label: string;
  value: T;
  choices: Choice<T>[];
  onChoose: (value: T) => void;
  disabled?: boolean;
  /** The face of the button (a status chip); the current choice's label by default. */
  children?: ComponentChildren;
  class?: string;
}

export function ChoiceMenu<T extends string>({ label, value, choices, onChoose, disabled, children, class: extra }: Props<T>) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [alignEnd, setAlignEnd] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLLIElement | null)[]>([]);
  const current = choices.find((c) => c.value === value);

  const show = (index: number) => {
    // Open towards the side with room, so a menu never widens the page.
    const rect = button.current!.getBoundingClientRect();
    setAlignEnd(rect.left + 224 > document.documentElement.clientWidth);
    setActive(index);
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const choose = (choice: Choice<T>) => {
    close(true);
    if (choice.value !== value) onChoose(choice.value);
  };

  // In the same task as the render (not after paint): a key pressed right after must reach the
  // item that is meant to have focus.
  useLayoutEffect(() => {
    if (open) items.current[active]?.focus();
  }, [open, active]);
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const selected = Math.max(0, choices.findIndex((c) => c.value === value));
  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      show(selected);
    }
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const last = choices.length - 1;
    const moves: Record<string, number> = { ArrowDown: active === last ? 0 : active + 1, ArrowUp: active === 0 ? last : active - 1, Home: 0, End: last };
    if (event.key in moves) setActive(moves[event.key]);
    else if (event.key === "Enter" || event.key === " ") choose(choices[active]);
    else if (event.key === "Escape") close(true);
    else if (event.key === "Tab") return setOpen(false);
    else {
      // Type-ahead: the next choice starting with the letter typed.
      const letter = event.key.length === 1 ? event.key.toLowerCase() : "";
      const found = letter ? choices.findIndex((c, i) => i > active && c.label.toLowerCase().startsWith(letter)) : -1;
      const wrapped = found >= 0 ? found : choices.findIndex((c) => letter && c.label.toLowerCase().startsWith(letter));
      if (wrapped < 0) return;
      setActive(wrapped);
    }
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <div class={`menu-anchor ${extra ?? ""}`} ref={root}>
      <button
        ref={button}
        type="button"
        class="menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`${label}: ${current?.label ?? value}`}
        disabled={disabled}
        onClick={() => (open ? close(false) : show(selected))}
        onKeyDown={onButtonKey}
      >
        {children ?? current?.label ?? value}
        <Icon name="chevron" />
      </button>
      {open && (
        <ul class={alignEnd ? "menu menu--end" : "menu"} role="menu" aria-label={label} onKeyDown={onMenuKey}>
          {choices.map((choice, index) => (
            <li
              key={choice.value}
              ref={(element) => {
                items.current[index] = element;
              }}
              role="menuitemradio"
              aria-checked={choice.value === value}
              tabIndex={-1}
              onClick={() => choose(choice)}
            >
              {choice.icon}
              <span>{choice.label}</span>
              {choice.value === value && <Icon name="check" class="menu-check" />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
