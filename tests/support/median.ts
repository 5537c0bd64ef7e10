/** The median of figures measured in trials: the mean of the two middle ones when even. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("no figures to take the median of");
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
