// A comment's text with @mention suggestions: typing "@" and the start of a member's email lists
// the members that match. It follows the WAI-ARIA combobox pattern as far as a <textarea> allows
// (a textarea may not take role="combobox"; axe and ARIA in HTML forbid it): the textarea keeps
// its textbox role with aria-autocomplete="list", aria-controls names the listbox while it is
// open and aria-activedescendant its active option; a polite live region says how many match. Up and
// Down move through the suggestions, Enter or Tab inserts one, Escape closes the list; focus
// stays in the text all along. A click on a suggestion inserts it too.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Member } from "../../api/client";
import { insertMention, mentionAt, suggestions, type MentionQuery } from "../../lib/mentions";
import { plural } from "../../lib/labels";
import { TextField } from "../components/fields";

interface Props {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  members: Member[];
  max: number;
  error?: string | null;
  hint?: string;
  /** Escape with no suggestions open (cancel an edit). */
  onEscape?: () => void;
  /** Ctrl or Cmd + Enter (send). */
  onSubmit?: () => void;
}

export function MentionField({ id, label, value, onInput, members, max, error, hint, onEscape, onSubmit }: Props) {
  const input = useRef<HTMLTextAreaElement>(null);
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  // Where the caret goes after an insertion, once the new value is rendered.
  const caretAfter = useRef<number | null>(null);
  const matches = mention ? suggestions(members, mention.query) : [];
  const open = matches.length > 0;
  const listId = `${id}-mentions`;
  const optionId = (index: number) => `${listId}-${index}`;

  useLayoutEffect(() => {
    if (caretAfter.current === null || !input.current) return;
    input.current.setSelectionRange(caretAfter.current, caretAfter.current);
    caretAfter.current = null;
  }, [value]);

  const look = () => {
    const element = input.current;
    if (!element) return;
    const found = element.selectionStart === element.selectionEnd ? mentionAt(element.value, element.selectionStart ?? 0) : null;
    if (found?.start !== mention?.start || found?.query !== mention?.query) setActive(0);
    setMention(found);
  };

  const choose = (member: Member) => {
    const element = input.current;
    if (!element || !mention) return;
    const next = insertMention(element.value, mention, element.selectionStart ?? element.value.length, member.email);
    caretAfter.current = next.caret;
    setMention(null);
    onInput(next.text);
    element.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (open) {
      const last = matches.length - 1;
      const moves: Record<string, number> = { ArrowDown: active >= last ? 0 : active + 1, ArrowUp: active <= 0 ? last : active - 1 };
      if (event.key in moves) setActive(moves[event.key]);
      else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") choose(matches[Math.min(active, last)]);
      else if (event.key === "Escape") setMention(null);
      else return;
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (event.key === "Escape" && onEscape) {
      event.preventDefault();
      event.stopPropagation();
      onEscape();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && onSubmit) {
      event.preventDefault();
      onSubmit();
    }
  };

  return (
    <div class="mention-field">
      <TextField
        id={id}
        label={label}
        multiline
        rows={3}
        value={value}
        onInput={(text) => {
          onInput(text);
          queueMicrotask(look);
        }}
        max={max}
        countFrom={max - 500}
        error={error}
        hint={hint}
        textareaRef={input}
        onKeyDown={onKeyDown}
        extra={{
          "aria-autocomplete": "list",
          "aria-controls": open ? listId : undefined,
          "aria-activedescendant": open ? optionId(active) : undefined,
          onKeyUp: (event: KeyboardEvent) => {
            if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) look();
          },
          onClick: look,
          onBlur: () => setMention(null),
        }}
      >
        {open && (
          <ul class="suggestions" role="listbox" id={listId} aria-label="Members to mention">
            {matches.map((member, index) => (
              <li
                key={member.user_id}
                id={optionId(index)}
                role="option"
                aria-selected={index === active}
                // Keep the focus (and the caret) in the text while the pointer chooses.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => choose(member)}
              >
                {member.email}
              </li>
            ))}
          </ul>
        )}
      </TextField>
      {/* A polite live region rather than role="status": the page's own status messages stay
          the only "status" there is to find. */}
      <p class="visually-hidden" aria-live="polite" aria-atomic="true">
        {open ? `${plural(matches.length, "member")} to mention. Up and down to choose, Enter to insert.` : ""}
      </p>
    </div>
  );
}
