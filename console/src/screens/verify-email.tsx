import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, call, INCOMPLETE_LINK } from "../api/client";
import { ErrorNotice, Loading } from "../components/notice";
import { PublicShell } from "../components/shell";
import { Link } from "../router";
import type { PageProps } from "../session";

/** The page the verification email links to (CONSOLE_URL/verify-email?token=…): verifies at once. */
export function VerifyEmailPage(props: PageProps) {
  const token = props.params.get("token") ?? "";
  const [state, setState] = useState<"verifying" | "verified" | ApiError>("verifying");

  async function verify() {
    if (!token) {
      setState(INCOMPLETE_LINK);
      return;
    }
    setState("verifying");
    const result = await call(api.POST("/admin/accounts/verify", { body: { token } }));
    setState(result.ok ? "verified" : result.error);
  }

  useEffect(() => {
    void verify();
  }, [token]);

  return (
    <PublicShell title="Verify your email address">
      {state === "verifying" ? <Loading what="your verification" /> : null}
      {state === "verified" ? (
        <>
          <p class="notice ok" role="status">
            Your email address is verified.
          </p>
          <p>
            <Link to="log-in" class="button">
              Log in
            </Link>
          </p>
        </>
      ) : null}
      {typeof state === "object" ? (
        <>
          <ErrorNotice
            error={state}
            onRetry={state.status === 0 || state.status >= 500 ? () => void verify() : undefined}
          />
          <p>
            The link may have been used already or be more than 24 hours old.{" "}
            <Link to="check-inbox">Send a new link</Link> or <Link to="log-in">Log in</Link>.
          </p>
        </>
      ) : null}
    </PublicShell>
  );
}
