import { Resend } from "resend";
import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Resend keeps one email per key for 24 hours, so a retried job never sends twice. */
  idempotencyKey: string;
}

export type SendResult =
  | { ok: true; id: string }
  /** retryable: 429, 5xx or the network; anything else will fail the same way again. */
  | { ok: false; retryable: boolean; status: number | null; message: string };

export interface Mailer {
  send(email: OutgoingEmail): Promise<SendResult>;
}

/**
 * Resend when RESEND_API_KEY is set; otherwise the email, link included, is written to the log so a
 * local set-up works without an email account.
 */
export function createMailer(
  config: Pick<Config, "resendApiKey" | "resendBaseUrl" | "emailFrom">,
  logger: Logger,
): Mailer {
  if (!config.resendApiKey) {
    return {
      async send(email) {
        logger.info(
          { email: { to: email.to, subject: email.subject, body: email.text } },
          "email (RESEND_API_KEY not set, so logged instead of sent)",
        );
        return { ok: true, id: `logged-${email.idempotencyKey}` };
      },
    };
  }
  const resend = new Resend(
    config.resendApiKey,
    config.resendBaseUrl ? { baseUrl: config.resendBaseUrl } : {},
  );
  return {
    async send(email) {
      const { data, error } = await resend.emails.send(
        { from: config.emailFrom, to: email.to, subject: email.subject, text: email.text, html: email.html },
        { idempotencyKey: email.idempotencyKey },
      );
      if (data && !error) return { ok: true, id: data.id };
      const status = (error as { statusCode?: number | null } | null)?.statusCode ?? null;
      const retryable = status === null || status === 429 || status >= 500;
      return { ok: false, retryable, status, message: error?.message ?? "unknown Resend error" };
    },
  };
}
