import { Breadcrumb } from "../components/shell";
import { exactTime } from "../components/time";
import { count } from "../count";
import { useMe } from "../session";
import { AuditEventsSection } from "./account-audit-events";
import { ChangePasswordSection } from "./account-change-password";
import { DeleteAccountSection } from "./account-delete";
import { ChangeEmailSection } from "./account-email";
import { RotationReminderSection } from "./account-rotation-reminder";
import { SessionsSection } from "./account-sessions";
import { TwoFactorSection } from "./account-two-factor";

const TIER_LABEL = { free: "Free", pro: "Pro", enterprise: "Enterprise" } as const;

function AccountSummary() {
  const { me } = useMe();
  return (
    <section class="card" aria-labelledby="summary-title">
      <h2 id="summary-title">Your account</h2>
      <dl class="details">
        <dt>Email</dt>
        <dd>{me.account.email}</dd>
        <dt>Tier</dt>
        <dd>{TIER_LABEL[me.account.tier]}</dd>
        <dt>Limits</dt>
        <dd>
          {count(me.limits.requests_per_minute, "request")} and {count(me.limits.tokens_per_minute, "token")}{" "}
          per minute for each key
        </dd>
        <dt>Member since</dt>
        <dd>{exactTime(me.account.created_at)}</dd>
      </dl>
    </section>
  );
}

// The Account page is a list of sections, each its own component with its own calls: more (second
// factor, sessions, email change, deletion) are added here.
const SECTIONS = [
  AccountSummary,
  ChangePasswordSection,
  TwoFactorSection,
  SessionsSection,
  ChangeEmailSection,
  RotationReminderSection,
  AuditEventsSection,
  DeleteAccountSection,
];

export function AccountPage() {
  const { signOut } = useMe();
  return (
    <>
      <Breadcrumb trail={[{ label: "Account" }]} />
      <div class="page-head">
        <h1 tabIndex={-1}>Account</h1>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
      {SECTIONS.map((Section) => (
        <Section key={Section.name} />
      ))}
    </>
  );
}
