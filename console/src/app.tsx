import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, api, call, whenSessionExpires } from "./api/client";
import { ErrorNotice, Loading } from "./components/notice";
import { Shell } from "./components/shell";
import { here, navigate, useRoute, whenUnguarded } from "./router";
import { AccountPage } from "./screens/account";
import { ApiKeysPage } from "./screens/api-keys";
import { CheckInboxPage } from "./screens/check-inbox";
import { ConfirmEmailPage } from "./screens/confirm-email";
import { ForgotPasswordPage } from "./screens/forgot-password";
import { KeyPage } from "./screens/key-page";
import { LogInPage } from "./screens/log-in";
import { NotFoundPage } from "./screens/not-found";
import { ResetPasswordPage } from "./screens/reset-password";
import { SignUpPage } from "./screens/sign-up";
import { VerifyEmailPage } from "./screens/verify-email";
import { announceLogIn, type Me, MeContext, whenLoggedInElsewhere } from "./session";

const PUBLIC_PAGES = {
  "sign-up": SignUpPage,
  "check-inbox": CheckInboxPage,
  "verify-email": VerifyEmailPage,
  "log-in": LogInPage,
  "forgot-password": ForgotPasswordPage,
  "reset-password": ResetPasswordPage,
  "confirm-email": ConfirmEmailPage,
} as const;

const PRIVATE_PAGES = { keys: ApiKeysPage, key: KeyPage, account: AccountPage } as const;

export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [signOutError, setSignOutError] = useState<ApiError | null>(null);
  const isPrivate = Object.hasOwn(PRIVATE_PAGES, route.page);
  // The dashboard's home is API Keys: "/console/" and "/console/dashboard" lead there.
  const isHome = route.page === "" || route.page === "dashboard";
  // Only a session this tab had can be said to have ended; a first visit just needs to log in.
  const hadSession = useRef(false);
  if (me) hadSession.current = true;
  const latestMe = useRef<Me | null>(null);
  latestMe.current = me;

  // A failed Sign out is about the session it could not end: once that session is gone or another
  // account's, the shell must no longer say "You are still signed in".
  useEffect(() => {
    whenSessionExpires(() => {
      setMe(null);
      setSignOutError(null);
      const page = location.pathname.split("/").pop() ?? "";
      if (!Object.hasOwn(PUBLIC_PAGES, page)) {
        const expired = hadSession.current ? "&expired=1" : "";
        navigate(`log-in?next=${encodeURIComponent(here())}${expired}`, { replace: true });
      }
    });
  }, []);

  // Another tab logged in as another account: this one reloads the account and its page, but not
  // under a key shown once (that key is the account's only chance to copy it).
  useEffect(() => {
    whenLoggedInElsewhere((accountId) => {
      if (latestMe.current && latestMe.current.account.id !== accountId) {
        whenUnguarded(() => {
          setMe(null);
          setSignOutError(null);
        });
      }
    });
  }, []);

  const loadMe = useCallback(async () => {
    setLoadError(null);
    const result = await call(api.GET("/admin/me"));
    if (result.ok) setMe(result.data);
    else if (result.error.code !== "session_required") setLoadError(result.error);
  }, []);

  useEffect(() => {
    if (isHome) navigate("keys", { replace: true });
    else if (isPrivate && !me) void loadMe();
  }, [route.page, isHome, isPrivate, me, loadMe]);

  // A new page moves focus to its heading, so a screen reader announces where the person now is.
  useEffect(() => {
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [route.page, me === null]);

  // The session cookie is HttpOnly: only keyward can end the session. A call that did not reach it
  // leaves the session alive, so the page must not look signed out (on a shared computer, the next
  // person to open the console would be let in).
  const signOut = useCallback(async () => {
    setSignOutError(null);
    const result = await call(api.DELETE("/admin/sessions/current"));
    if (!result.ok && result.error.code !== "session_required") {
      setSignOutError(result.error);
      return;
    }
    hadSession.current = false;
    setMe(null);
    navigate("log-in");
  }, []);

  const loggedIn = (m: Me) => {
    setSignOutError(null);
    setMe(m);
    announceLogIn(m.account.id);
  };

  if (Object.hasOwn(PUBLIC_PAGES, route.page)) {
    const Page = PUBLIC_PAGES[route.page as keyof typeof PUBLIC_PAGES];
    return <Page params={route.params} onLoggedIn={loggedIn} />;
  }
  if (!isPrivate) return isHome ? null : <NotFoundPage />;
  if (!me) {
    return (
      <main id="main">
        {loadError ? (
          <ErrorNotice error={loadError} onRetry={() => void loadMe()} />
        ) : (
          <Loading what="your account" />
        )}
      </main>
    );
  }
  const Page = PRIVATE_PAGES[route.page as keyof typeof PRIVATE_PAGES];
  return (
    <MeContext.Provider value={{ me, signOut, refresh: setMe }}>
      <Shell page={route.page}>
        {signOutError ? (
          <ErrorNotice
            error={{ ...signOutError, message: `You are still signed in: ${signOutError.message}` }}
            onRetry={() => void signOut()}
          />
        ) : null}
        <Page params={route.params} />
      </Shell>
    </MeContext.Provider>
  );
}
