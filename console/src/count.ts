/** A number with its noun in agreement: count(1, "request") is "1 request", count(2, "request") "2 requests". */
export function count(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
