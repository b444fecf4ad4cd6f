// Whether a console origin is "same-site" to keyward's public URL, as browsers decide which cookies a
// request carries: same scheme and same registrable domain (the public suffix plus one label). A full
// public-suffix list is out of proportion here; this one knows the two-label country suffixes
// (co.uk, com.au …) and the shared hosting suffixes a self-hoster is likely to use, where every
// customer's app is its own site. Erring towards "cross-site" only costs SameSite=None, which still
// carries Secure and the Origin check; erring the other way would break the console's session.
const SHARED_SUFFIXES = new Set([
  "herokuapp.com",
  "herokudns.com",
  "vercel.app",
  "netlify.app",
  "github.io",
  "pages.dev",
  "workers.dev",
  "fly.dev",
  "onrender.com",
  "railway.app",
  "up.railway.app",
  "azurewebsites.net",
  "appspot.com",
  "cloudfront.net",
  "amazonaws.com",
  "web.app",
  "firebaseapp.com",
]);
const SECOND_LEVEL = new Set(["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go"]);

/** The registrable domain of a host name ("console.example.co.uk" -> "example.co.uk"). */
export function registrableDomain(hostname: string): string {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (/^[\d.]+$/.test(host) || host.includes(":") || !host.includes(".")) return host;
  const labels = host.split(".");
  for (let take = 3; take >= 2; take--) {
    const suffix = labels.slice(-take).join(".");
    if (SHARED_SUFFIXES.has(suffix) && labels.length > take) return labels.slice(-take - 1).join(".");
  }
  const last = labels.at(-1) ?? "";
  const second = labels.at(-2) ?? "";
  const take = last.length === 2 && SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-take).join(".");
}

export function isSameSite(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && registrableDomain(a.hostname) === registrableDomain(b.hostname);
}

/**
 * SameSite for the session cookie: None only when the public URL is https (None requires Secure) and a
 * listed console origin is cross-site to it, since a Lax cookie is never sent on that console's calls.
 */
export function sessionCookieSameSite(publicUrl: string, consoleOrigins: string[]): "lax" | "none" {
  const publicAt = new URL(publicUrl);
  if (publicAt.protocol !== "https:") return "lax";
  return consoleOrigins.some((origin) => !isSameSite(new URL(origin), publicAt)) ? "none" : "lax";
}
