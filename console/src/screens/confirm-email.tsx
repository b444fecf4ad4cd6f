import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, call, INCOMPLETE_LINK } from "../api/client";
import { ErrorNotice, Loading } from "../components/notice";
import { PublicShell } from "../components/shell";
import { Link } from "../router";
import type { PageProps } from "../session";

/** The page the email-change link opens (CONSOLE_URL/confirm-email?token=…): confirms at once. */
export function ConfirmEmailPage(props: PageProps) {
  const token = props.params.get("token") ?? "";
  const [state, setState] = useState<"confirming" | { email: string } | ApiError>("confirming");

  async function confirm() {
    if (!token) {
      setState(INCOMPLETE_LINK);
      return;
    }
    setState("confirming");
    const result = await call(api.POST("/admin/me/email/confirm", { body: { token } }));
    setState(result.ok ? { email: result.data.account.email } : result.error);
  }

  useEffect(() => {
    void confirm();
  }, [token]);

  return (
    <PublicShell title="Confirm your new email address">
      {state === "confirming" ? <Loading what="your confirmation" /> : null}
      {typeof state === "object" && "email" in state ? (
        <>
          <p class="notice ok" role="status">
            Your account's email address is now {state.email}.
          </p>
          <p>
            <Link to="account" class="button">
              Go to your account
            </Link>
          </p>
        </>
      ) : null}
      {typeof state === "object" && "code" in state ? (
        <>
          <ErrorNotice
            error={state}
            onRetry={state.status === 0 || state.status >= 500 ? () => void confirm() : undefined}
          />
          <p>
            The link may have been used already, be more than 24 hours old, or belong to an earlier request.
            Ask for a new one from your <Link to="account">Account</Link> page.
          </p>
        </>
      ) : null}
    </PublicShell>
  );
}
