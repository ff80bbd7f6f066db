/**
 * TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the
 * first points are not dragged toward 0. Non-finite and missing values pass through unsmoothed
 * and do not disturb the average.
 */
export function debiasedEma(values: ArrayLike<number | null>, weight: number): Array<number | null> {
  const out: Array<number | null> = new Array(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ?? null;
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) {
      out[i] = v ?? null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, n);
    out[i] = last / debias;
  }
  return out;
}
