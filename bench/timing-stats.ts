// The statistic of npm run bench:timing (and of the e2e timing test): the probability that a
// sample of one side is smaller than one of the other, over every pair.

/**
 * P(a < b) over every pair of samples (ties count half): the Mann–Whitney U statistic over n·m.
 * 0.5: the two sides cannot be told apart by comparing times; 1: `a` is always faster.
 */
export function probabilityFaster(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, side: 0 })), ...b.map((v) => ({ v, side: 1 }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSumA = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]?.v === all[i]?.v) j++;
    const rank = (i + j + 1) / 2; // the average 1-based rank of a run of ties
    for (let k = i; k < j; k++) if (all[k]?.side === 0) rankSumA += rank;
    i = j;
  }
  const u = rankSumA - (a.length * (a.length + 1)) / 2; // pairs where a is the larger
  return 1 - u / (a.length * b.length);
}
