/**
 * Metric history, columnar: for each key, Float64Arrays of value, step, timestamp and the point's
 * index in the run's logging order, grown by doubling — 32 bytes a point, not an object a point.
 *
 * A MetricLog is append-only and shared between successive states of a run: a state holds the log
 * and how many points it had folded (`count`), and every read takes that count, so an older state
 * still answers exactly as it did. Immer leaves class instances alone, so a metric event costs the
 * draft one number, not a copy of any history.
 */
export interface MetricPoint {
  value: number;
  step: number;
  timestamp: number;
}

class Column {
  data: Float64Array = new Float64Array(4);
  push(at: number, v: number): void {
    if (at === this.data.length) {
      const grown = new Float64Array(Math.max(4, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[at] = v;
  }
  copy(length: number): Column {
    const c = new Column();
    c.data = this.data.slice(0, Math.max(4, length));
    return c;
  }
}

class KeySeries {
  length = 0;
  values = new Column();
  steps = new Column();
  times = new Column();
  /** Position of each point in the run's logging order. */
  order = new Column();
  /** Index of the latest point (highest step, then latest timestamp, then last logged). */
  latest = -1;

  push(value: number, step: number, timestamp: number, order: number): void {
    const i = this.length++;
    this.values.push(i, value);
    this.steps.push(i, step);
    this.times.push(i, timestamp);
    this.order.push(i, order);
    if (this.latest < 0 || isLater(step, timestamp, this.steps.data[this.latest]!, this.times.data[this.latest]!)) this.latest = i;
  }

  /** How many of this key's points are among the run's first `count` points. */
  countWithin(count: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order.data[mid]! < count) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  latestWithin(n: number): number {
    if (n === this.length) return this.latest;
    let best = -1;
    for (let i = 0; i < n; i++) if (best < 0 || isLater(this.steps.data[i]!, this.times.data[i]!, this.steps.data[best]!, this.times.data[best]!)) best = i;
    return best;
  }

  point(i: number): MetricPoint {
    return { value: this.values.data[i]!, step: this.steps.data[i]!, timestamp: this.times.data[i]! };
  }

  copy(n: number): KeySeries {
    const c = new KeySeries();
    c.length = n;
    c.values = this.values.copy(n);
    c.steps = this.steps.copy(n);
    c.times = this.times.copy(n);
    c.order = this.order.copy(n);
    c.latest = this.latestWithin(n);
    return c;
  }
}

function isLater(step: number, time: number, bestStep: number, bestTime: number): boolean {
  return step > bestStep || (step === bestStep && time >= bestTime);
}

export interface PlainMetricLog {
  length: number;
  series: Array<{ key: string; latest: number; values: Float64Array; steps: Float64Array; times: Float64Array; order: Float64Array }>;
}

export class MetricLog {
  private readonly series = new Map<string, KeySeries>();
  /** Points appended so far, over all keys. */
  length = 0;

  /** Appends one point; returns the new count. */
  push(key: string, value: number, step: number, timestamp: number): number {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new KeySeries()));
    s.push(value, step, timestamp, this.length);
    return ++this.length;
  }

  /** A copy holding the first `count` points, for folding on from an older state. */
  fork(count: number): MetricLog {
    const copy = new MetricLog();
    for (const [key, s] of this.series) {
      const n = s.countWithin(count);
      if (n > 0) copy.series.set(key, s.copy(n));
    }
    copy.length = count;
    return copy;
  }

  /** The latest value of each key among the first `count` points. */
  latest(count: number): Record<string, MetricPoint> {
    const out: Record<string, MetricPoint> = {};
    for (const [key, s] of this.series) {
      const i = s.latestWithin(s.countWithin(count));
      if (i >= 0) out[key] = s.point(i);
    }
    return out;
  }

  /** A key's points among the first `count`, in logging order. */
  history(key: string, count: number): MetricPoint[] {
    const s = this.series.get(key);
    if (!s) return [];
    const n = s.countWithin(count);
    const out = new Array<MetricPoint>(n);
    for (let i = 0; i < n; i++) out[i] = s.point(i);
    return out;
  }

  /** The first `count` points as plain data (typed arrays trimmed to length), for a snapshot. */
  toPlain(count: number): PlainMetricLog {
    const log = count === this.length ? this : this.fork(count);
    return {
      length: log.length,
      series: [...log.series].map(([key, s]) => ({
        key,
        latest: s.latest,
        values: s.values.data.slice(0, s.length),
        steps: s.steps.data.slice(0, s.length),
        times: s.times.data.slice(0, s.length),
        order: s.order.data.slice(0, s.length),
      })),
    };
  }

  static fromPlain(plain: PlainMetricLog): MetricLog {
    const log = new MetricLog();
    log.length = plain.length;
    for (const p of plain.series) {
      const s = new KeySeries();
      s.length = p.values.length;
      s.latest = p.latest;
      s.values.data = p.values;
      s.steps.data = p.steps;
      s.times.data = p.times;
      s.order.data = p.order;
      log.series.set(p.key, s);
    }
    return log;
  }

  keys(count: number): string[] {
    return [...this.series.keys()].filter((k) => this.series.get(k)!.countWithin(count) > 0);
  }
}
