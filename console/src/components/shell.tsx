import type { ComponentChildren } from "preact";
import { Link } from "../router";
import { useMe } from "../session";

/** The frame of every logged-in page: the Dashboard's navigation, who is logged in, Sign out. */
export function Shell(props: { page: string; children: ComponentChildren }) {
  const { me, signOut } = useMe();
  const current = (page: string) => (props.page === page ? "page" : undefined);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="keys" class="brand">
          keyward
        </Link>
        <nav aria-label="Dashboard">
          <ul>
            <li>
              <Link to="keys" aria-current={current("keys")}>
                API Keys
              </Link>
            </li>
            <li>
              <Link to="account" aria-current={current("account")}>
                Account
              </Link>
            </li>
            <li>
              <span class="who">{me.account.email}</span>
            </li>
            <li>
              <button type="button" class="secondary" onClick={() => void signOut()}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main id="main">{props.children}</main>
    </>
  );
}

/**
 * "Dashboard › API Keys › …", the docs' way of saying where a page is. The dashboard's home is the API
 * Keys page, so "Dashboard" leads there, as /console/dashboard does.
 */
export function Breadcrumb(props: { trail: { label: string; to?: string }[] }) {
  return (
    <nav class="breadcrumb" aria-label="Breadcrumb">
      <ol>
        <li>
          <Link to="keys">Dashboard</Link>
        </li>
        {props.trail.map((step, i) => (
          <li key={step.label} aria-current={i === props.trail.length - 1 ? "page" : undefined}>
            {step.to ? <Link to={step.to}>{step.label}</Link> : step.label}
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** The frame of the pages before logging in. */
export function PublicShell(props: { title: string; children: ComponentChildren }) {
  return (
    <main id="main" class="narrow">
      <p>
        <strong>keyward</strong>
      </p>
      <h1 tabIndex={-1}>{props.title}</h1>
      {props.children}
    </main>
  );
}
