import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Account } from "./api/client";

// The logged-in account is the one thing several screens share (the header, the key dialog's limit,
// the Account page), so it lives in one context set by the app.

export interface Me {
  account: Account;
  limits: { requests_per_minute: number; tokens_per_minute: number };
}

export const MeContext = createContext<{
  me: Me;
  signOut: () => Promise<void>;
  refresh: (me: Me) => void;
} | null>(null);

export function useMe() {
  const value = useContext(MeContext);
  if (!value) throw new Error("useMe outside a logged-in page");
  return value;
}

// Every tab shares one session cookie, so a log-in in one tab changes the account all the others act
// as: they are told, so that none keeps showing one account while its calls go to another.
const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("keyward-session") : null;

export function announceLogIn(accountId: string): void {
  tabs?.postMessage({ loggedIn: accountId });
}

export function whenLoggedInElsewhere(handler: (accountId: string) => void): void {
  if (tabs) tabs.onmessage = (event: MessageEvent<{ loggedIn: string }>) => handler(event.data.loggedIn);
}

// A draft of a form, kept for this tab only, so that what the person typed survives a detour through
// Log in when the session expired. Never used for passwords or keys.
export function loadDraft<T>(name: string): T | null {
  try {
    const raw = sessionStorage.getItem(`draft:${name}`);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function saveDraft(name: string, value: unknown): void {
  try {
    sessionStorage.setItem(`draft:${name}`, JSON.stringify(value));
  } catch {
    // A full or disabled storage only costs the draft.
  }
}

export function clearDraft(name: string): void {
  try {
    sessionStorage.removeItem(`draft:${name}`);
  } catch {
    // as above
  }
}

/** What every screen is given: the page's query, and for Log in, how to hand over the account. */
export interface PageProps {
  params: URLSearchParams;
  onLoggedIn?: (me: Me) => void;
}
