// Modal dialogs on the native <dialog>: focus moves into it and stays there, Escape closes it,
// screen readers announce it by its heading, and focus returns to where it was.
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { Icon } from "./icons";

export function Dialog({ title, onClose, children, class: extra }: { title: string; onClose: () => void; children: ComponentChildren; class?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect: its clean-up runs as the dialog leaves, before anything else moves focus.
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current!;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      // The opener may have been re-rendered away; then the page heading is the place to be.
      if (opener?.isConnected) opener.focus();
      else document.getElementById("page-title")?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`dialog ${extra ?? ""}`}
      aria-labelledby="dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div class="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {children}
    </dialog>
  );
}

/** "Are you sure?" for what cannot be undone. Cancel has focus first: Enter never destroys. */
export function ConfirmDialog({
  title,
  message,
  confirm,
  busy,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  message: ComponentChildren;
  confirm: string;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{message}</p>
      {children}
      <div class="dialog-actions">
        <button type="button" class="button" autoFocus onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="button button--danger" disabled={busy} onClick={onConfirm}>
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
