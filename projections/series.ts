/**
 * Metric history, columnar: three Float64Arrays (value, step, timestamp) that grow by doubling.
 * 24 bytes a point instead of an object per point.
 *
 * A series is append-only and shared between successive states: a state holds a SeriesSlice, the
 * series plus how many points it had then, so an older state still reads exactly its own points.
 * Immer leaves class instances alone, so pushing here copies nothing.
 */
export interface MetricPoint {
  value: number;
  step: number;
  timestamp: number;
}

export class MetricSeries {
  private values: Float64Array = new Float64Array(4);
  private steps: Float64Array = new Float64Array(4);
  private times: Float64Array = new Float64Array(4);
  length = 0;

  push(value: number, step: number, timestamp: number): number {
    if (this.length === this.values.length) {
      this.values = grow(this.values);
      this.steps = grow(this.steps);
      this.times = grow(this.times);
    }
    this.values[this.length] = value;
    this.steps[this.length] = step;
    this.times[this.length] = timestamp;
    return ++this.length;
  }

  /** A copy holding the first `length` points, for folding on from an older state. */
  fork(length: number): MetricSeries {
    const copy = new MetricSeries();
    copy.values = this.values.slice(0, Math.max(4, length));
    copy.steps = this.steps.slice(0, Math.max(4, length));
    copy.times = this.times.slice(0, Math.max(4, length));
    copy.length = length;
    return copy;
  }

  points(count = this.length): MetricPoint[] {
    const out = new Array<MetricPoint>(count);
    for (let i = 0; i < count; i++) out[i] = { value: this.values[i]!, step: this.steps[i]!, timestamp: this.times[i]! };
    return out;
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

export interface SeriesSlice {
  series: MetricSeries;
  length: number;
}
