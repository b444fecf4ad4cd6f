import { type EmailContent, escapeHtml } from "./templates.js";

// The account-security emails: plain text and an HTML twin. Nothing in the notices to the current
// address can change the account: they say what happened and what to do, and carry no link that acts.

function render(subject: string, paragraphs: string[], link?: string): EmailContent {
  const text = [...paragraphs, ...(link ? [link] : [])].join("\n\n");
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
  ].join("\n");
  return { subject, text, html };
}

const IF_NOT_YOU =
  "If this was not you, change your password now and end your other sessions in the console (Account page).";

export function newSigninEmail(where: { ip: string | null; device: string | null; at: Date }): EmailContent {
  return render("New sign-in to your account", [
    "Your account was just signed in to from an address it had not been used from before.",
    `When: ${where.at.toISOString()}\nAddress: ${where.ip ?? "unknown"}\nDevice: ${where.device ?? "unknown"}`,
    IF_NOT_YOU,
    "You can turn these emails off in the console's Account page.",
  ]);
}

export function totpEnabledEmail(): EmailContent {
  return render("Two-factor authentication is on", [
    "Two-factor authentication was turned on for your account: signing in now needs a code from your authenticator app or a recovery code.",
    IF_NOT_YOU,
  ]);
}

export function totpDisabledEmail(): EmailContent {
  return render("Two-factor authentication is off", [
    "Two-factor authentication was turned off for your account: signing in now needs only the password.",
    IF_NOT_YOU,
  ]);
}

export function emailChangeLinkEmail(link: string): EmailContent {
  return render(
    "Confirm your new email address",
    [
      "Someone asked to use this address for their account. To confirm it, open the link below; the link works once and expires in 24 hours.",
      "If you did not ask for this, ignore this email: nothing changes.",
    ],
    link,
  );
}

export function emailAddressTakenEmail(): EmailContent {
  return render("Email change not possible", [
    "Someone asked to move an account to this address, but this address already belongs to an account. Nothing was changed.",
    "If it was you, sign in with this address instead, or choose another address.",
  ]);
}

/** To the current address: the change waits for the new address, and this email offers no way to act on it. */
export function emailChangeNoticeEmail(maskedNewEmail: string): EmailContent {
  return render("Your account's email address is being changed", [
    `A change of your account's email address to ${maskedNewEmail} was requested. It takes effect only once the new address confirms it; until then this address stays the account's.`,
    IF_NOT_YOU,
  ]);
}

export function accountDeletedEmail(): EmailContent {
  return render("Your account has been deleted", [
    "Your account was deleted: its API keys no longer work, every session was ended, and your email address and other personal data were removed.",
    "If this was not you, contact the operator of this service at once.",
  ]);
}

/** "a***@example.com": enough for the owner to recognise, not a full address handed to whoever reads the old mailbox. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${email[0]}***${email.slice(at)}`;
}
