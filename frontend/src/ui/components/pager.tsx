/** Previous / next over cursor pages. After a move, focus goes to the list's heading (`focus`),
 * not to a button that may just have been disabled. */
export function Pager({
  label,
  pageNumber,
  nextCursor,
  onNext,
  onPrevious,
  focusAfter,
}: {
  label: string;
  pageNumber: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  focusAfter: () => HTMLElement | null;
}) {
  if (pageNumber === 1 && !nextCursor) return null;
  const go = (move: () => void) => {
    move();
    setTimeout(() => focusAfter()?.focus(), 0);
  };
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" class="button" disabled={pageNumber === 1} onClick={() => go(onPrevious)}>
        Previous page
      </button>
      <span aria-live="polite">Page {pageNumber}</span>
      <button type="button" class="button" disabled={!nextCursor} onClick={() => nextCursor && go(() => onNext(nextCursor))}>
        Next page
      </button>
    </nav>
  );
}
