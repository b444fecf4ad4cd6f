import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

// Every page of the console is one path segment under the console's folder (/console/keys,
// /console/verify-email?token=…), so relative asset URLs resolve the same from every page and the
// console works under any path prefix a reverse proxy adds. The folder is read from the address.

export const BASE = location.pathname.replace(/[^/]*$/, "");

/** The admin API's root: the console's parent folder (keyward serves both), without a trailing slash. */
export function apiRoot(): string {
  return new URL("../", location.origin + BASE).href.replace(/\/$/, "");
}

export interface Route {
  page: string;
  params: URLSearchParams;
}

function currentRoute(): Route {
  return { page: location.pathname.slice(BASE.length), params: new URLSearchParams(location.search) };
}

/** The current page and query, for "come back here" after logging in. */
export function here(): string {
  return location.pathname.slice(BASE.length) + location.search;
}

/** Where Log in may send the person back to: a page of this console, never another site. */
export function safeNext(next: string | null): string {
  return next && /^[a-z-]+(\?[^#]*)?$/.test(next) && !next.startsWith("log-in") ? next : "keys";
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", BASE + to);
  else history.pushState(null, "", BASE + to);
  dispatchEvent(new PopStateEvent("popstate"));
}

// A page that must not be left unasked (a key shown once) holds a guard. Back and Forward fire a
// popstate only after the address has changed, so the guard puts the shown address back and lets the
// page ask; reload and closing the tab get the browser's own "Leave site?".
interface LeaveGuard {
  onLeave: () => void;
  /** A Back or Forward was held: leaving, once agreed, goes where it asked. */
  held: boolean;
}
let guard: LeaveGuard | null = null;
let shownAddress = location.href;

function askBeforeUnload(event: BeforeUnloadEvent) {
  event.preventDefault();
  event.returnValue = "";
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = (event: PopStateEvent) => {
      // navigate()'s own event is untrusted: only the browser's Back and Forward are held.
      if (event.isTrusted && guard) {
        history.pushState(null, "", shownAddress);
        guard.held = true;
        guard.onLeave();
        return;
      }
      shownAddress = location.href;
      setRoute(currentRoute());
    };
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return route;
}

let afterRelease: (() => void) | null = null;

function release(mine: LeaveGuard) {
  if (guard !== mine) return;
  guard = null;
  removeEventListener("beforeunload", askBeforeUnload);
  const next = afterRelease;
  afterRelease = null;
  next?.();
}

/** Runs `change` now, or once the page that holds the person (a key shown once) lets them go. */
export function whenUnguarded(change: () => void): void {
  if (guard) afterRelease = change;
  else change();
}

/**
 * Holds the person on this page while the calling component is mounted: Back and Forward call
 * `onLeave` (the page's "are you sure?") instead of changing page; reload and closing the tab ask.
 * `stay()` after the answer No; `leave(close)` after Yes: it ends the hold, then goes where a held
 * Back or Forward asked to, or else calls `close`.
 */
export function useLeaveGuard(onLeave: () => void): { stay: () => void; leave: (close: () => void) => void } {
  const mine = useRef<LeaveGuard>({ onLeave, held: false }).current;
  mine.onLeave = onLeave;
  useEffect(() => {
    guard = mine;
    addEventListener("beforeunload", askBeforeUnload);
    return () => release(mine);
  }, []);
  return {
    stay: () => {
      mine.held = false;
    },
    leave: (close) => {
      release(mine);
      // Once only: should the Back find no page to go to, or the same page, the next answer closes.
      const heldBack = mine.held;
      mine.held = false;
      if (heldBack) history.back();
      else close();
    },
  };
}

/** A link that changes page without reloading; a modified click (new tab) goes to the browser. */
export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  "aria-current"?: "page" | undefined;
}) {
  const { to, children } = props;
  return (
    <a
      class={props.class}
      aria-current={props["aria-current"]}
      href={BASE + to}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
          return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
