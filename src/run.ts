/** ActiveRun: the handle a run's code logs through. Each call validates, makes one event, appends it. */
import { basename } from "node:path";
import { type EncodedNumber, encodeNumber, END_STATUSES, type EventMap, type EventType, type RunStatus } from "./events.js";
import { checkSerializer, modelFormat, type ModelSerializer, serializeModel } from "./models.js";
import * as validate from "./validate.js";

/** What a run handle needs from its tracker: somewhere to append, somewhere to put bytes. */
export interface RunSink {
  append<T extends EventType>(experimentId: string, type: T, data: EventMap[T]): Promise<void>;
  storeArtifact(runId: string, name: string, source: { file: string } | { bytes: Uint8Array }): Promise<{ sha256: string; size: number }>;
  ended(run: ActiveRun): void;
}

export interface MetricOptions {
  step?: number;
  /** Epoch milliseconds or a Date; defaults to now. */
  timestamp?: number | Date;
}

export interface LogModelOptions {
  /** gzip level: 0 stores the bytes as they are, 1–9 compresses. Default 3. */
  compress?: number;
  serializer?: ModelSerializer;
}

export class ActiveRun {
  private endedWith: RunStatus | null = null;

  constructor(
    private readonly sink: RunSink,
    readonly runId: string,
    readonly experimentId: string,
  ) {}

  /** The status this handle ended the run with, or null while it has not. */
  get endStatus(): RunStatus | null {
    return this.endedWith;
  }

  logParam(key: string, value: unknown): Promise<void> {
    return settled(() => {
      validate.key("key", key);
      const stored = validate.jsonValue("value", value);
      return this.log("ParamsLogged", { runId: this.runId, params: { [key]: stored } }); // key is never "__proto__"
    });
  }

  logParams(params: Record<string, unknown>): Promise<void> {
    return settled(() => this.log("ParamsLogged", { runId: this.runId, params: validate.params("params", params) }));
  }

  logMetric(key: string, value: number, options?: MetricOptions): Promise<void> {
    // settled() inlined by hand: the call a training loop makes most, and its closure was garbage.
    try {
      validate.key("key", key);
      validate.metricValue("value", value);
      return this.log("MetricsLogged", metricsLogged(this.runId, { [key]: encodeNumber(value) }, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  logMetrics(metrics: Record<string, number>, options?: MetricOptions): Promise<void> {
    return settled(() => {
      const checked = validate.metrics("metrics", metrics);
      const encoded: Record<string, EncodedNumber> = {};
      for (const [k, v] of Object.entries(checked)) encoded[k] = encodeNumber(v);
      return this.log("MetricsLogged", metricsLogged(this.runId, encoded, options));
    });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    return settled(() => this.log("TagsSet", { runId: this.runId, tags: validate.stringRecord("tags", tags) }));
  }

  /** Copies a file into the store (by content hash) and records it under `name` (default: the file's name). */
  async logArtifact(localPath: string, options?: { name?: string }): Promise<void> {
    validate.path("localPath", localPath);
    const o = validate.optionsObject("options", options);
    const name = validate.artifactName("name", o.name ?? basename(localPath));
    const ref = await this.sink.storeArtifact(this.runId, name, { file: localPath });
    await this.log("ArtifactLogged", { runId: this.runId, name, ...ref, model: null });
  }

  /** Serializes a model as the artifact `name`: plain data as JSON, a Uint8Array as its bytes, or through `serializer`. */
  async logModel(model: unknown, name: string, options?: LogModelOptions): Promise<void> {
    validate.artifactName("name", name);
    const o = validate.optionsObject("options", options);
    const compress = o.compress === undefined ? 3 : validate.integerIn("compress", o.compress, 0, 9);
    const serializer = checkSerializer(o.serializer);
    const format = { format: modelFormat(model, serializer), compress };
    const bytes = await serializeModel(model, format, serializer);
    const ref = await this.sink.storeArtifact(this.runId, name, { bytes });
    await this.log("ArtifactLogged", { runId: this.runId, name, ...ref, model: format });
  }

  /** Ends the run: FINISHED by default, or FAILED / KILLED. */
  async end(status: Exclude<RunStatus, "RUNNING"> = "FINISHED"): Promise<void> {
    validate.oneOf("status", status, END_STATUSES);
    await this.log("RunEnded", { runId: this.runId, status });
    this.endedWith = status;
    this.sink.ended(this);
  }

  private log<T extends EventType>(type: T, data: EventMap[T]): Promise<void> {
    return this.sink.append(this.experimentId, type, data);
  }
}

/**
 * Runs a promise-returning call so that an error thrown before its promise exists (bad input)
 * rejects the promise instead of throwing: `run.logMetric(…).catch(…)` sees every failure. Not an
 * async function, so the caller gets the group-commit promise itself with no extra wrapping.
 */
export function settled(call: () => Promise<void>): Promise<void> {
  try {
    return call();
  } catch (err) {
    return Promise.reject(err);
  }
}

const METRIC_OPTIONS = ["step", "timestamp"] as const;

/** A MetricsLogged event's data, with its step and timestamp read from `options` (each field read once). */
function metricsLogged(runId: string, metrics: Record<string, EncodedNumber>, options: MetricOptions | undefined): EventMap["MetricsLogged"] {
  if (options === undefined) return { runId, metrics, step: 0, timestamp: Date.now() };
  const o = validate.optionFields("options", options, METRIC_OPTIONS);
  const step = o.step === undefined ? 0 : validate.step("step", o.step);
  const timestamp = o.timestamp === undefined ? Date.now() : validate.timestamp("timestamp", o.timestamp);
  return { runId, metrics, step, timestamp };
}


