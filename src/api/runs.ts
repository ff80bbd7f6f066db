/** Runs: starting and resuming them (the active run, per async context), reading them back, deleting them. */
import { AsyncLocalStorage } from "node:async_hooks";
import { basename } from "node:path";
import { InvalidInput, NoActiveRun, RunNotFound } from "../errors.js";
import { type EventMap, type EventType, newId } from "../events.js";
import { entryScript, envMeta, gitMeta, HOST } from "../meta.js";
import { ActiveRun, type RunSink } from "../run.js";
import * as validate from "../validate.js";
import type { ArtifactsApi } from "./artifacts.js";
import { type Context, DEFAULT_EXPERIMENT } from "./context.js";
import type { ExperimentsApi } from "./experiments.js";
import type { MetricPoint, Run, RunDetails, StartRunOptions } from "./types.js";

const START_RUN_OPTIONS = ["experimentName", "experimentId", "logGitMeta", "logEnv", "logCode", "tags"];

export type RunFn<T> = (run: ActiveRun) => T | Promise<T>;

/**
 * Runs, and the RunSink of every ActiveRun it hands out. The sink is this class's own methods, not
 * an object of closures made per tracker: the logging path then calls the same functions whatever
 * tracker a run came from, and V8's optimized code for it survives a process opening a second store.
 */
export class RunsApi implements RunSink {
  private readonly context = new AsyncLocalStorage<ActiveRun>();
  private readonly started: ActiveRun[] = [];

  constructor(private readonly ctx: Context, private readonly experiments: ExperimentsApi, private readonly artifacts: ArtifactsApi) {}

  append<T extends EventType>(experimentId: string, type: T, data: EventMap[T]): Promise<void> {
    const written = this.ctx.append(experimentId, type, data);
    return type === "ArtifactLogged" ? written.then(() => this.keepArtifact(data as EventMap["ArtifactLogged"])) : written;
  }

  storeArtifact(runId: string, name: string, source: { file: string } | { bytes: Uint8Array }): Promise<{ sha256: string; size: number }> {
    return this.artifacts.store(runId, name, source);
  }

  ended(run: ActiveRun): void {
    const i = this.started.indexOf(run);
    if (i >= 0) this.started.splice(i, 1);
  }

  async start<T>(options: StartRunOptions | undefined, fn: RunFn<T> | undefined): Promise<ActiveRun | T> {
    const o = validate.optionsObject("options", options);
    for (const k of Object.keys(o)) if (!START_RUN_OPTIONS.includes(k)) throw new InvalidInput(`options.${k}`, `is not an option of startRun (${START_RUN_OPTIONS.join(", ")})`);
    if (fn !== undefined && typeof fn !== "function") throw new InvalidInput("fn", "must be a function");
    const experimentName = o.experimentName === undefined ? undefined : validate.experimentName("experimentName", o.experimentName);
    const experimentId = o.experimentId === undefined ? DEFAULT_EXPERIMENT.experimentId : validate.identifier("experimentId", o.experimentId);
    const logGitMeta = o.logGitMeta === undefined ? true : validate.boolean("logGitMeta", o.logGitMeta);
    const logEnv = o.logEnv === undefined ? false : validate.boolean("logEnv", o.logEnv);
    const logCode = o.logCode === undefined ? true : validate.boolean("logCode", o.logCode);
    const tags = o.tags === undefined ? {} : validate.stringRecord("tags", o.tags);

    // A sweep trial: its runner created the run and handed it over in the environment.
    const handedOver = process.env.RUNELOG_RUN_ID;
    if (handedOver && !this.active()) return this.resume(handedOver, fn);

    const expId = experimentName !== undefined ? await this.experiments.getOrCreate(experimentName) : (await this.ctx.requireExperiment(experimentId, "id")).experimentId;
    const [git, env] = await Promise.all([logGitMeta ? gitMeta() : null, logEnv ? envMeta() : null]);
    await this.ctx.ensureStore();
    const runId = newId();
    const parentRunId = this.active()?.runId ?? null;
    await this.ctx.append(expId, "RunStarted", { runId, experimentId: expId, parentRunId, pid: process.pid, host: HOST, tags, git, env });
    this.ctx.homeOf(runId, expId);
    const run = new ActiveRun(this, runId, expId);
    if (logCode) {
      const script = await entryScript();
      if (script) await run.logArtifact(script, { name: validName(basename(script)) ?? "entry-script" });
    }
    return this.enter(run, fn);
  }

  /** Makes an existing run (perhaps created by another process) the active run again. */
  async resume<T>(runId: string, fn: RunFn<T> | undefined): Promise<ActiveRun | T> {
    validate.identifier("runId", runId);
    if (fn !== undefined && typeof fn !== "function") throw new InvalidInput("fn", "must be a function");
    const run = await this.ctx.requireRun(runId);
    await this.ctx.append(run.experimentId, "RunResumed", { runId, pid: process.pid, host: HOST });
    return this.enter(new ActiveRun(this, runId, run.experimentId), fn);
  }

  /** A handle that logs into an existing run without resuming it: no event, its status stays as it is. */
  async attach(runId: string): Promise<ActiveRun> {
    validate.identifier("runId", runId);
    return new ActiveRun(this, runId, (await this.ctx.requireRun(runId)).experimentId);
  }

  /** An artifact logged while its run or experiment was deleted would be held for ever: release it, and say the run is gone. */
  private async keepArtifact(logged: EventMap["ArtifactLogged"]): Promise<void> {
    if (await this.ctx.findRun(logged.runId)) return;
    await this.ctx.store.blobs.detach([{ sha256: logged.sha256, holder: { kind: "run", runId: logged.runId, name: logged.name } }]);
    throw new RunNotFound(logged.runId);
  }

  /** The run that tracker-level logging calls use here, or null. */
  active(): ActiveRun | null {
    return this.context.getStore() ?? this.started.at(-1) ?? null;
  }

  requireActive(call: string): ActiveRun {
    const run = this.active();
    if (!run) throw new NoActiveRun(call);
    return run;
  }

  async tags(runId: string | undefined): Promise<Record<string, string>> {
    const id = runId === undefined ? this.requireActive("getRunTags").runId : validate.identifier("runId", runId);
    return { ...(await this.ctx.requireRun(id)).tags };
  }

  async get(runId: string): Promise<Run | null> {
    validate.identifier("runId", runId);
    const run = await this.ctx.findRun(runId);
    return run ? this.ctx.runView(run) : null;
  }

  async details(runId: string): Promise<RunDetails | null> {
    validate.identifier("runId", runId);
    const run = await this.ctx.findRun(runId);
    if (!run) return null;
    const metricHistory = run.metricLog.histories(run.metricCount);
    return {
      ...this.ctx.runView(run),
      artifacts: Object.keys(run.artifacts),
      metricHistory,
      parentRunId: run.parentRunId,
      git: run.git && { ...run.git },
      env: run.env && structuredClone(run.env),
    };
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    validate.identifier("runId", runId);
    validate.key("key", key);
    const run = await this.ctx.requireRun(runId);
    return run.metricLog.history(key, run.metricCount);
  }

  async delete(runId: string): Promise<void> {
    validate.identifier("runId", runId);
    const run = await this.ctx.requireRun(runId);
    await this.ctx.append(run.experimentId, "RunDeleted", { runId });
    await this.artifacts.release([run]);
  }

  private async enter<T>(run: ActiveRun, fn: RunFn<T> | undefined): Promise<ActiveRun | T> {
    if (!fn) {
      this.started.push(run);
      return run;
    }
    return this.context.run(run, async () => {
      let result: T;
      try {
        result = await fn(run);
      } catch (err) {
        if (!run.endStatus) await run.end("FAILED").catch(() => {});
        throw err;
      }
      if (!run.endStatus) await run.end("FINISHED");
      return result;
    });
  }
}

function validName(candidate: string): string | null {
  try {
    return validate.name("name", candidate);
  } catch {
    return null;
  }
}
