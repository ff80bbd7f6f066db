/**
 * Metric history, columnar: one set of growable columns per run — value, step, timestamp (Float64)
 * and which key (Uint32) — in logging order: 28 bytes a point, and four arrays a run however many
 * keys it logs.
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

export interface PlainMetricLog {
  length: number;
  keyNames: string[];
  values: Float64Array;
  steps: Float64Array;
  times: Float64Array;
  keys: Uint32Array;
}

function grown<A extends Float64Array | Uint32Array>(a: A, length: number): A {
  if (length < a.length) return a;
  const b = new (a.constructor as new (n: number) => A)(Math.max(8, a.length * 2));
  b.set(a);
  return b;
}

/** Whether (step, time) is later than the best so far: highest step, then latest time, then last logged. */
const isLater = (step: number, time: number, bestStep: number, bestTime: number) => step > bestStep || (step === bestStep && time >= bestTime);

export class MetricLog {
  /** Points appended so far, over all keys. */
  length = 0;
  private values: Float64Array = new Float64Array(8);
  private steps: Float64Array = new Float64Array(8);
  private times: Float64Array = new Float64Array(8);
  private keys: Uint32Array = new Uint32Array(8);
  /** Keys in order of first appearance, and where each first appears. */
  private keyNames: string[] = [];
  private keyIndex = new Map<string, number>();
  private first: number[] = [];
  /** Index of each key's latest point among all `length` points. */
  private latestAt: number[] = [];

  /** Appends one point; returns the new count. */
  push(key: string, value: number, step: number, timestamp: number): number {
    let k = this.keyIndex.get(key);
    if (k === undefined) {
      k = this.keyNames.push(key) - 1;
      this.keyIndex.set(key, k);
      this.first.push(this.length);
      this.latestAt.push(-1);
    }
    const i = this.length;
    this.values = grown(this.values, i);
    this.steps = grown(this.steps, i);
    this.times = grown(this.times, i);
    this.keys = grown(this.keys, i);
    this.values[i] = value;
    this.steps[i] = step;
    this.times[i] = timestamp;
    this.keys[i] = k;
    const best = this.latestAt[k]!;
    if (best < 0 || isLater(step, timestamp, this.steps[best]!, this.times[best]!)) this.latestAt[k] = i;
    return ++this.length;
  }

  /** A copy holding the first `count` points, for folding on from an older state. */
  fork(count: number): MetricLog {
    return MetricLog.fromPlain(this.toPlain(count));
  }

  /** The latest value of each key among the first `count`. */
  latestValues(count: number): Record<string, number> {
    const best = count === this.length ? this.latestAt : this.latestWithin(count);
    const out: Record<string, number> = {};
    for (let k = 0; k < best.length; k++) if (best[k]! >= 0) out[this.keyNames[k]!] = this.values[best[k]!]!;
    return out;
  }

  /** The latest value of one key among the first `count`, or undefined (a search reads one key of many runs). */
  latest(key: string, count: number): number | undefined {
    const k = this.keyIndex.get(key);
    if (k === undefined || this.first[k]! >= count) return undefined;
    if (count === this.length) return this.values[this.latestAt[k]!];
    let best = -1;
    for (let i = this.first[k]!; i < count; i++) {
      if (this.keys[i] === k && (best < 0 || isLater(this.steps[i]!, this.times[i]!, this.steps[best]!, this.times[best]!))) best = i;
    }
    return this.values[best];
  }

  /** Every key's points among the first `count`, in logging order. */
  histories(count: number): Record<string, MetricPoint[]> {
    const lists = this.keyNames.map((): MetricPoint[] => []);
    for (let i = 0; i < count; i++) lists[this.keys[i]!]!.push(this.point(i));
    const out: Record<string, MetricPoint[]> = {};
    lists.forEach((list, k) => {
      if (list.length > 0) out[this.keyNames[k]!] = list;
    });
    return out;
  }

  /** One key's points among the first `count`, in logging order. */
  history(key: string, count: number): MetricPoint[] {
    const k = this.keyIndex.get(key);
    const out: MetricPoint[] = [];
    if (k === undefined) return out;
    for (let i = this.first[k]!; i < count; i++) if (this.keys[i] === k) out.push(this.point(i));
    return out;
  }

  /** The first `count` points as plain data (typed arrays trimmed to length), for a snapshot. */
  toPlain(count: number): PlainMetricLog {
    const keyCount = this.first.filter((f) => f < count).length; // keys appear in order of first point
    return {
      length: count,
      keyNames: this.keyNames.slice(0, keyCount),
      values: this.values.slice(0, count),
      steps: this.steps.slice(0, count),
      times: this.times.slice(0, count),
      keys: this.keys.slice(0, count),
    };
  }

  static fromPlain(plain: PlainMetricLog): MetricLog {
    const log = new MetricLog();
    log.length = plain.length;
    log.values = plain.values;
    log.steps = plain.steps;
    log.times = plain.times;
    log.keys = plain.keys;
    log.keyNames = [...plain.keyNames];
    log.keyNames.forEach((key, k) => log.keyIndex.set(key, k));
    log.first = log.keyNames.map(() => -1);
    for (let i = 0; i < log.length; i++) if (log.first[log.keys[i]!] === -1) log.first[log.keys[i]!] = i;
    log.latestAt = log.latestWithin(log.length);
    return log;
  }

  private latestWithin(count: number): number[] {
    const best = this.keyNames.map(() => -1);
    for (let i = 0; i < count; i++) {
      const k = this.keys[i]!;
      const b = best[k]!;
      if (b < 0 || isLater(this.steps[i]!, this.times[i]!, this.steps[b]!, this.times[b]!)) best[k] = i;
    }
    return best;
  }

  private point(i: number): MetricPoint {
    return { value: this.values[i]!, step: this.steps[i]!, timestamp: this.times[i]! };
  }
}
