// Labels and priority on a task: chips that show them, and the controls that change them. The
// label picker lists the workspace's labels as checkboxes (up to ten on a task) and creates a new
// one, with its colour, without leaving the page.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Label, LabelColor, Priority } from "../../api/client";
import { COLOR_LABEL, LABEL_COLORS, LABEL_LIMITS, PRIORITIES, PRIORITY_LABEL } from "../../lib/labels";
import { messageOf } from "../components/feedback";
import { FieldError, inputValue } from "../components/fields";
import { Icon } from "../components/icons";
import { ChoiceMenu } from "../components/menu";
import { useServices } from "../context";

export function LabelChip({ label }: { label: Label }) {
  return <span class={`label-chip label--${label.color}`}>{label.name}</span>;
}

/** A task's labels, in its order; ids of labels that are gone are left out. */
export function LabelChips({ ids, labels }: { ids: string[]; labels: Label[] }) {
  const shown = ids.map((id) => labels.find((l) => l.id === id)).filter((l): l is Label => Boolean(l));
  if (!shown.length) return null;
  return (
    <span class="label-chips">
      <span class="visually-hidden">Labels: </span>
      {shown.map((label) => (
        <LabelChip key={label.id} label={label} />
      ))}
    </span>
  );
}

/** Urgent and high stand out; none says nothing. */
export function PriorityChip({ priority }: { priority: Priority }) {
  return (
    <span class={`chip priority priority--${priority}`}>
      {PRIORITY_LABEL[priority]}
    </span>
  );
}

const PRIORITY_CHOICES = PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABEL[p] }));

export function PriorityControl({ title, priority, canEdit, onPriority }: { title: string; priority: Priority; canEdit: boolean; onPriority: (priority: Priority) => void }) {
  if (!canEdit) return <PriorityChip priority={priority} />;
  return (
    <ChoiceMenu label={`Priority of ${title}`} value={priority} choices={PRIORITY_CHOICES} onChoose={onPriority} class="chip-menu">
      <PriorityChip priority={priority} />
    </ChoiceMenu>
  );
}

interface PickerProps {
  workspaceId: string;
  labels: Label[];
  value: string[];
  onChange: (ids: string[]) => void;
  /** The button's name: "Labels of Write the brief". */
  name: string;
  /** A label was created here (the workspace's list takes it in at once). */
  onCreated: (label: Label) => void;
  canCreate: boolean;
  /** The button shows the chips (task page, quick add) or an icon only (list rows, cards). */
  compact?: boolean;
  id?: string;
}

export function LabelPicker({ workspaceId, labels, value, onChange, name, onCreated, canCreate, compact, id }: PickerProps) {
  const { api } = useServices();
  const [open, setOpen] = useState(false);
  const [newName, setNewName] = useState("");
  const [color, setColor] = useState<LabelColor>("blue");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const panelId = `${id ?? "labels"}-panel`;
  const full = value.length >= LABEL_LIMITS.perTask;

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  useLayoutEffect(() => {
    if (open) panel.current?.querySelector<HTMLElement>("input")?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const toggle = (labelId: string, on: boolean) => onChange(on ? [...value, labelId] : value.filter((v) => v !== labelId));

  const create = async () => {
    const trimmed = newName.trim();
    if (!trimmed) return setProblem("Give the label a name.");
    if (trimmed.length > LABEL_LIMITS.name) return setProblem(`A label's name can be at most ${LABEL_LIMITS.name} characters.`);
    if (labels.some((l) => l.name.toLowerCase() === trimmed.toLowerCase())) return setProblem(`There is a label “${trimmed}” already: tick it above.`);
    setBusy(true);
    try {
      const { data } = await api.createLabel(workspaceId, trimmed, color);
      onCreated(data);
      if (!full) onChange([...value, data.id]);
      setNewName("");
      setProblem(null);
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class={`label-picker menu-anchor${compact ? " label-picker--compact" : ""}`} ref={root}>
      <button
        ref={button}
        id={id}
        type="button"
        class={compact ? "icon-button" : "button label-picker-button"}
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={compact ? name : undefined}
        onClick={() => (open ? close(false) : setOpen(true))}
      >
        <Icon name="tag" />
        {!compact && (value.length ? <LabelChips ids={value} labels={labels} /> : <span>{name}</span>)}
      </button>
      {open && (
        <div
          class="menu label-panel"
          id={panelId}
          ref={panel}
          role="group"
          aria-label={name}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.preventDefault();
              event.stopPropagation();
              close(true);
            }
          }}
        >
          {labels.length === 0 && <p class="muted">No labels yet{canCreate ? ": create the first one below." : "."}</p>}
          <ul class="label-options">
            {labels.map((label) => {
              const checked = value.includes(label.id);
              return (
                <li key={label.id}>
                  <label class="check">
                    <input type="checkbox" checked={checked} disabled={!checked && full} onChange={(e) => toggle(label.id, (e.currentTarget as HTMLInputElement).checked)} />
                    <LabelChip label={label} />
                  </label>
                </li>
              );
            })}
          </ul>
          {full && <p class="hint">A task can have at most {LABEL_LIMITS.perTask} labels.</p>}
          {canCreate && (
            <div class="label-create">
              <div class="field">
                <label for={`${panelId}-name`}>New label</label>
                <input
                  id={`${panelId}-name`}
                  value={newName}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby={problem ? `${panelId}-error` : undefined}
                  onInput={(e) => {
                    setNewName(inputValue(e));
                    setProblem(null);
                  }}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") {
                      e.preventDefault();
                      void create();
                    }
                  }}
                />
              </div>
              <div class="field">
                <label for={`${panelId}-color`}>Colour</label>
                <select id={`${panelId}-color`} value={color} onChange={(e) => setColor(inputValue(e) as LabelColor)}>
                  {LABEL_COLORS.map((c) => (
                    <option key={c} value={c}>
                      {COLOR_LABEL[c]}
                    </option>
                  ))}
                </select>
              </div>
              <button type="button" class="button" disabled={busy} onClick={() => void create()}>
                <span class={`label-swatch label--${color}`} aria-hidden="true" />
                {busy ? "Creating…" : "Create label"}
              </button>
              <FieldError id={`${panelId}-error`} message={problem} />
            </div>
          )}
          <button type="button" class="button button--ghost" onClick={() => close(true)}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}
