// The emails keyward sends. Plain text and a minimal HTML twin; the link is the only dynamic part and
// is built from CONSOLE_URL, never from a request's Host header.

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** For the HTML twin of every email (this file's and security-templates.ts's). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function render(subject: string, lines: string[], link: string, after: string): EmailContent {
  const text = [...lines, "", link, "", after].join("\n");
  const html = [
    ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    `<p>${escapeHtml(after)}</p>`,
  ].join("\n");
  return { subject, text, html };
}

export function verificationEmail(link: string): EmailContent {
  return render(
    "Verify your email address",
    ["Welcome! Confirm your email address to finish creating your account:"],
    link,
    "The link works once and expires in 24 hours. If you did not sign up, ignore this email.",
  );
}

export function passwordResetEmail(link: string): EmailContent {
  return render(
    "Reset your password",
    ["Someone asked to reset the password of your account. To choose a new password, open:"],
    link,
    "The link works once and expires in 1 hour. If you did not ask for this, ignore this email: your password stays as it is.",
  );
}

/** The console page a token is sent to, e.g. CONSOLE_URL/verify-email?token=… */
export function consoleLink(
  consoleUrl: string,
  page: "verify-email" | "reset-password",
  token: string,
): string {
  const url = new URL(`${consoleUrl}/${page}`);
  url.searchParams.set("token", token);
  return url.toString();
}

export interface RemindedKey {
  name: string;
  last4: string;
  createdAt: Date;
}

/** Names each key with its name and last4 (never more of it) and links to the console's keys page. */
export function rotationReminderEmail(consoleUrl: string, days: number, keys: RemindedKey[]): EmailContent {
  const link = `${consoleUrl}/keys`;
  const plural = keys.length === 1 ? "" : "s";
  const subject = `Time to rotate ${keys.length} API key${plural}`;
  const intro = `These API keys were created more than ${days} days ago. Rotating keys regularly limits the damage of a key that leaked without anyone noticing:`;
  const line = (k: RemindedKey) =>
    `${k.name} (ending in ${k.last4}), created ${k.createdAt.toISOString().slice(0, 10)}`;
  const outro =
    "Rotate or revoke them in the console. You can change how often we remind you, or turn these emails off, in your account settings.";
  const text = [intro, "", ...keys.map((k) => `- ${line(k)}`), "", link, "", outro].join("\n");
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    `<ul>${keys.map((k) => `<li>${escapeHtml(line(k))}</li>`).join("")}</ul>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    `<p>${escapeHtml(outro)}</p>`,
  ].join("\n");
  return { subject, text, html };
}
