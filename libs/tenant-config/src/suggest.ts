/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** The known names closest to a mistyped one (a typo, not a different word), best first. */
export function closestNames(name: string, known: readonly string[]): string[] {
  if (!known.length) return [];
  const distance = (k: string) => editDistance(name.toLowerCase(), k.toLowerCase());
  const best = Math.min(...known.map(distance));
  return best <= Math.max(2, name.length / 3) ? known.filter((k) => distance(k) === best) : [];
}
