// Pages that nobody needs on first load (the account, the audit log, the notifications) come in
// their own small script, fetched the first time one is opened, so the script every visit loads
// stays within its budget (docs/frontend.md). While it loads, the page says so; if it cannot be
// fetched, the page says that and offers to try again.
import type { ComponentType } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ErrorAlert, Loading } from "./feedback";

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const fetch = () => {
    pending ??= load().then(
      (component) => (loaded = component),
      (error: unknown) => {
        pending = null; // a later attempt fetches again
        throw error;
      },
    );
    return pending;
  };

  return function LazyPage(props: P) {
    const [, setReady] = useState(0);
    const [error, setError] = useState<unknown>(null);
    const waited = useRef(false);
    useEffect(() => {
      if (loaded) return;
      waited.current = true;
      let live = true;
      fetch().then(
        () => live && setReady(1),
        (caught: unknown) => live && setError(caught),
      );
      return () => void (live = false);
    }, [error]);
    // The shell moves focus to the page's heading on arrival, but there was none yet: now.
    useLayoutEffect(() => {
      if (loaded && waited.current) {
        waited.current = false;
        document.getElementById("page-title")?.focus();
      }
    });
    if (loaded) {
      const Page = loaded;
      return <Page {...props} />;
    }
    if (error) {
      return (
        <ErrorAlert error={new Error("This page could not be loaded. Check your connection and try again.")}>
          <button type="button" class="button" onClick={() => setError(null)}>
            Try again
          </button>
        </ErrorAlert>
      );
    }
    return <Loading what="the page" />;
  };
}
