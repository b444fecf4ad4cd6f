// NIST SP 800-63B (5.1.1.2) asks verifiers to refuse passwords made of repetitive or sequential
// characters and of context-specific words (the service's name, the user's name). Refusing the
// exact strings is not enough: "password123456" is a common word and a sequence, neither of which
// is on the list alone. So the predictable parts are taken out, and what remains must still be
// something to guess: at least MIN_UNPREDICTABLE characters, not itself a common password.

const SERVICE_NAMES = ["keyward"];
// A run of this many steps in the same direction is a sequence ("1234", "dcba"); digits wrap, so
// "7890123" is one run. Shorter runs occur in ordinary words ("abc" in "cabcart" would be harsh).
const MIN_SEQUENCE = 4;
// This many of one character in a row is a repetition ("aaa").
const MIN_REPEAT = 3;
const MIN_UNPREDICTABLE = 6;

export type PredictablePart = "repetition" | "sequence" | "service_name" | "common_word";

function isStep(a: string, b: string, direction: 1 | -1): boolean {
  const x = a.codePointAt(0) ?? 0;
  const y = b.codePointAt(0) ?? 0;
  if (y - x === direction) return /[0-9a-z]/.test(a) && /[0-9a-z]/.test(b);
  // 9 → 0 going up and 0 → 9 going down, as on a keyboard's number row.
  return direction === 1 ? a === "9" && b === "0" : a === "0" && b === "9";
}

/** The characters left after runs of one character and ascending or descending sequences are cut out. */
function withoutRunsAndSequences(chars: string[], found: Set<PredictablePart>): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < chars.length) {
    let repeat = 1;
    while (chars[i + repeat] === chars[i]) repeat++;
    if (repeat >= MIN_REPEAT) {
      found.add("repetition");
      i += repeat;
      continue;
    }
    let longest = 1;
    for (const direction of [1, -1] as const) {
      let n = 1;
      while (i + n < chars.length && isStep(chars[i + n - 1] as string, chars[i + n] as string, direction))
        n++;
      longest = Math.max(longest, n);
    }
    if (longest >= MIN_SEQUENCE) {
      found.add("sequence");
      i += longest;
      continue;
    }
    out.push(chars[i] as string);
    i++;
  }
  return out;
}

/** A string made of one short unit said again and again ("abcabcabc", "ab12ab12ab12"). */
function isRepeatedUnit(s: string): boolean {
  for (let unit = 1; unit <= s.length / 3; unit++) {
    if (s.length % unit === 0 && s.slice(0, unit).repeat(s.length / unit) === s) return true;
  }
  return false;
}

/**
 * What makes the password predictable, when too little of it is left once its predictable parts are
 * taken out; null when enough unpredictable characters remain.
 */
export function predictableParts(
  password: string,
  isCommon: (s: string) => boolean,
): PredictablePart[] | null {
  const lower = password.toLowerCase();
  const found = new Set<PredictablePart>();
  if (isRepeatedUnit([...lower].join(""))) return ["repetition"];
  let rest = lower;
  for (const name of SERVICE_NAMES) {
    if (rest.includes(name)) {
      found.add("service_name");
      rest = rest.split(name).join(" ");
    }
  }
  const remaining = withoutRunsAndSequences([...rest], found).join("");
  if (found.size === 0) return null;
  // ASCII punctuation and spaces add little to a guess ("password!"); letters, digits and the rest count.
  const core = remaining.replace(/[\s!-/:-@[-`{-~]/g, "");
  if ([...core].length >= MIN_UNPREDICTABLE && isCommon(core)) found.add("common_word");
  if ([...core].length < MIN_UNPREDICTABLE || found.has("common_word")) return [...found];
  return null;
}

const REASONS: Record<PredictablePart, string> = {
  repetition: "repeated characters (like aaaa)",
  sequence: "sequential characters (like 1234 or abcd)",
  service_name: "the service's name",
  common_word: "a common password",
};

/** For the person choosing the password, after the field's name: what made it predictable. */
export function predictableMessage(parts: PredictablePart[]): string {
  const named = parts.map((p) => REASONS[p]);
  const list = named.length > 1 ? `${named.slice(0, -1).join(", ")} and ${named.at(-1)}` : (named[0] ?? "");
  return `is too easy to guess: it is mostly ${list}`;
}
