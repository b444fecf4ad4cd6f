import { PublicShell } from "../components/shell";
import { Link } from "../router";

export function NotFoundPage() {
  return (
    <PublicShell title="Page not found">
      <p>
        There is no such page in the console. <Link to="keys">Go to API Keys</Link>
      </p>
    </PublicShell>
  );
}
