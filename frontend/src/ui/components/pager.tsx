import type { RefObject } from "preact";
import type { usePager } from "../hooks";

/** Previous / next over cursor pages. After a move, focus goes to the list's heading, not to a
 * button that may just have been disabled. */
export function Pager({ label, pager, nextCursor, heading }: { label: string; pager: ReturnType<typeof usePager>; nextCursor: string | null | undefined; heading: RefObject<HTMLElement | null> }) {
  if (pager.pageNumber === 1 && !nextCursor) return null;
  const go = (move: () => void) => {
    move();
    setTimeout(() => heading.current?.focus(), 0);
  };
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" class="button" disabled={pager.pageNumber === 1} onClick={() => go(pager.previous)}>
        Previous page
      </button>
      <span aria-live="polite">Page {pager.pageNumber}</span>
      <button type="button" class="button" disabled={!nextCursor} onClick={() => nextCursor && go(() => pager.next(nextCursor))}>
        Next page
      </button>
    </nav>
  );
}
