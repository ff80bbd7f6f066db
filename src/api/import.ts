/**
 * tracker.importStore: a source store, read by src/interop (handed in as `read`), becomes ordinary
 * events; only what is not here yet. Everything imported carries the tag `import.source`, which is
 * also how a second import knows what is already here. A run's events go in one append, made only
 * if its journal is still where it was read (never half a run, never a run twice).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, relative } from "node:path";
import { findLiveExperiment, type RegistryState, type RunState } from "../../projections/index.js";
import { InvalidInput } from "../errors.js";
import { draft, encodeNumber, type EventDraft, newId } from "../events.js";
import type { Projector } from "../projector.js";
import type { ImportOptions, ImportProgress, ImportReport, SourceExperiment, SourceKind, SourceRun, SourceStore } from "../source-store.js";
import { isConflict, START } from "../store/types.js";
import * as validate from "../validate.js";
import type { ArtifactsApi } from "./artifacts.js";
import { type Context, experimentStream } from "./context.js";

export const IMPORT_TAG = "import.source";
const HOST = "import";

export type SourceReader = (kind: SourceKind, source: string) => Promise<SourceStore>;

export class ImportApi {
  constructor(private readonly ctx: Context, private readonly artifacts: ArtifactsApi) {}

  async run(options: ImportOptions, read: SourceReader): Promise<ImportReport> {
    const o = validate.optionsObject("options", options);
    const from = validate.oneOf("from", o.from, ["runelog-py", "mlflow"] as const);
    const source = validate.path("source", o.source);
    if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new InvalidInput("onProgress", "must be a function");
    await this.ctx.init();
    const store = await read(from, source);
    return new Importer(this.ctx, this.artifacts, store, o.onProgress as ImportOptions["onProgress"]).run();
  }
}

class Importer {
  private readonly report: ImportReport;
  /** origin → runelog run id and experiment, for parents and registered versions. */
  private readonly runs = new Map<string, { runId: string; experimentId: string }>();
  private done = 0;
  private readonly total: number;

  constructor(private readonly ctx: Context, private readonly artifacts: ArtifactsApi, private readonly store: SourceStore, private readonly onProgress?: (p: ImportProgress) => void) {
    this.report = { experiments: 0, runs: 0, metricPoints: 0, artifacts: 0, models: 0, versions: 0, events: 0, skipped: [...store.skipped] };
    this.total = store.experiments.reduce((n, e) => n + e.runs.length, 0) + store.models.reduce((n, m) => n + m.versions.length, 0);
  }

  async run(): Promise<ImportReport> {
    for (const exp of this.store.experiments) await this.experiment(exp);
    await this.registry();
    return this.report;
  }

  private skip(path: string, reason: string): void {
    this.report.skipped.push({ path, reason });
  }

  /** Where a piece of a run is in the source, as a path relative to it. */
  private piece(run: SourceRun, part: "params" | "metrics" | "tags" | "artifacts", key: string): string {
    if (this.store.kind === "mlflow" || part === "artifacts") return `${run.path}/${part}/${key}`;
    return part === "tags" ? `${run.path}/meta.json` : `${run.path}/${part}/${key}.json`;
  }

  private progress(item: string): void {
    this.onProgress?.({ done: ++this.done, total: this.total, item });
  }

  private async append(projector: Projector<unknown>, drafts: EventDraft[], expectedSeq?: number): Promise<void> {
    if (drafts.length === 0) return;
    await projector.journal.append(drafts, expectedSeq);
    this.report.events += drafts.length;
  }

  // ---------------------------------------------------------------- experiments and runs

  private async experiment(exp: SourceExperiment): Promise<void> {
    const experimentId = await this.target(exp);
    if (experimentId === null) {
      for (const run of exp.runs) this.progress(run.origin);
      return;
    }
    const projector = this.ctx.experiment(experimentId);
    let scan = await this.knownRuns(experimentId);
    for (const run of exp.runs) this.runs.set(run.origin, { runId: scan.known.get(run.origin) ?? newId(), experimentId });
    for (const run of exp.runs) {
      // Appended only if the journal is still where it was read (another import may be adding the same run).
      for (let rescans = 0; ; ) {
        const { state, position } = await projector.current();
        if (position.seq !== scan.seq && rescans++ < 5) {
          scan = await this.knownRuns(experimentId);
          continue;
        }
        const knownId = scan.known.get(run.origin);
        const runId = knownId ?? this.runs.get(run.origin)!.runId;
        this.runs.set(run.origin, { runId, experimentId });
        const existing = knownId ? state.runs[knownId] : undefined;
        const counted = this.counts();
        // Known but gone from the views: deleted here (or in the source) since; nothing to add to it.
        const drafts = knownId ? (existing ? await this.runUpdate(existing, run) : []) : await this.newRun(runId, experimentId, run);
        try {
          await this.append(projector, drafts, position.seq);
        } catch (err) {
          if (!isConflict(err)) throw err;
          this.restore(counted);
          continue;
        }
        if (existing && run.deleted) await this.artifacts.release([existing]);
        break;
      }
      this.progress(run.origin);
    }
  }

  private counts(): ImportReport {
    return { ...this.report, skipped: [...this.report.skipped] };
  }

  private restore(counts: ImportReport): void {
    Object.assign(this.report, counts);
  }

  /** The experiment the source's experiment goes to, created when needed; null when it cannot be. */
  private async target(exp: SourceExperiment): Promise<string | null> {
    try {
      validate.name("name", exp.name);
      if (/^\d+$/.test(exp.name)) throw new InvalidInput("name", "a name made only of digits could not be told from an id");
    } catch (err) {
      this.skip(exp.origin, `experiment name ${JSON.stringify(exp.name)} cannot be used in runelog (${(err as Error).message}); its runs are not imported`);
      return null;
    }
    for (;;) {
      const { state, position } = await this.ctx.catalog.current();
      const imported = Object.values(state.experiments).find((e) => e.tags?.[IMPORT_TAG] === exp.origin && e.name === exp.name);
      if (imported) {
        if (exp.deleted && imported.deletedAt === null) await this.append(this.ctx.catalog, [draft("ExperimentDeleted", { experimentId: imported.experimentId })]);
        return imported.experimentId;
      }
      if (!exp.deleted) {
        const live = findLiveExperiment(state, exp.name, "name");
        if (live) return live.experimentId; // a live experiment of that name receives the runs
      }
      const experimentId = String(state.lastId + 1);
      const data = { experimentId, name: exp.name, tags: { ...exp.tags, [IMPORT_TAG]: exp.origin }, ...(exp.createdAt ? { createdAt: exp.createdAt } : {}) };
      const drafts = [draft("ExperimentCreated", data)];
      if (exp.deleted) drafts.push(draft("ExperimentDeleted", { experimentId }));
      try {
        await this.append(this.ctx.catalog, drafts, position.seq);
        this.report.experiments++;
        return experimentId;
      } catch (err) {
        if (!isConflict(err)) throw err; // another writer took the id: look again
      }
    }
  }

  /** Imported runs already in an experiment's journal, deleted ones too (origin → run id), and the last sequence number read. */
  private async knownRuns(experimentId: string): Promise<{ known: Map<string, string>; seq: number }> {
    const known = new Map<string, string>();
    const journal = this.ctx.store.journals.open(experimentStream(experimentId));
    let at = START;
    for (;;) {
      const chunk = await journal.read(at, { onCorrupt: this.ctx.onCorrupt });
      for (const e of chunk.events) {
        const tags = e.type === "RunStarted" ? (e.data as { tags?: Record<string, string> }).tags : undefined;
        if (tags?.[IMPORT_TAG]) known.set(tags[IMPORT_TAG], (e.data as { runId: string }).runId);
      }
      at = chunk.end;
      if (chunk.atEnd) return { known, seq: at.seq };
    }
  }

  private async newRun(runId: string, experimentId: string, run: SourceRun): Promise<EventDraft[]> {
    const parentRunId = run.parentOrigin ? (this.runs.get(run.parentOrigin)?.runId ?? null) : null;
    const tags = this.checkedTags(run, run.tags);
    tags[IMPORT_TAG] = run.origin;
    const drafts = [draft("RunStarted", { runId, experimentId, parentRunId, pid: 0, host: HOST, tags, git: run.git, env: null, startTime: run.startTime })];
    const params = this.checkedParams(run, run.params);
    if (Object.keys(params).length > 0) drafts.push(draft("ParamsLogged", { runId, params }));
    for (const [key, points] of Object.entries(run.metrics)) drafts.push(...this.metricDrafts(run, runId, key, points));
    // A deleted run's files are not kept: it is gone from every view, as a deleted run here is.
    if (!run.deleted) for (const a of run.artifacts) drafts.push(...(await this.artifactDrafts(run, runId, a.name, a.file, null)));
    if (run.status !== "RUNNING") drafts.push(draft("RunEnded", { runId, status: run.status, ...(run.endTime ? { endTime: run.endTime } : {}) }));
    if (run.deleted) drafts.push(draft("RunDeleted", { runId }));
    this.report.runs++;
    return drafts;
  }

  /** What the source has that the imported run does not have yet. */
  private async runUpdate(existing: RunState, run: SourceRun): Promise<EventDraft[]> {
    const runId = existing.runId;
    const drafts: EventDraft[] = [];
    const tags = Object.fromEntries(Object.entries(this.checkedTags(run, run.tags)).filter(([k, v]) => existing.tags[k] !== v));
    if (Object.keys(tags).length > 0) drafts.push(draft("TagsSet", { runId, tags }));
    const params = Object.fromEntries(Object.entries(this.checkedParams(run, run.params)).filter(([k, v]) => !(k in existing.params) || JSON.stringify(existing.params[k]) !== JSON.stringify(v)));
    if (Object.keys(params).length > 0) drafts.push(draft("ParamsLogged", { runId, params }));
    for (const [key, points] of Object.entries(run.metrics)) {
      const have = existing.metricLog.history(key, existing.metricCount);
      let fresh = points.slice(have.length);
      // A store that keeps only the latest value: a changed value is one new point.
      if (this.store.latestOnly && fresh.length === 0 && points.length > 0 && !Object.is(have.at(-1)?.value, points.at(-1)!.value)) fresh = points.slice(-1);
      drafts.push(...this.metricDrafts(run, runId, key, fresh));
    }
    if (!run.deleted) {
      for (const a of run.artifacts) {
        const have = existing.artifacts[a.name];
        if (have && have.sha256 === (await hashFile(a.file).catch(() => null))) continue;
        drafts.push(...(await this.artifactDrafts(run, runId, a.name, a.file, null)));
      }
    }
    if (run.status !== "RUNNING" && (existing.status !== run.status || existing.endTime !== run.endTime)) {
      drafts.push(draft("RunEnded", { runId, status: run.status, ...(run.endTime ? { endTime: run.endTime } : {}) }));
    }
    if (run.deleted) drafts.push(draft("RunDeleted", { runId }));
    return drafts;
  }

  private checkedTags(run: SourceRun, tags: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      if (k === IMPORT_TAG) continue;
      try {
        out[validate.key("tag", k)] = v;
      } catch (err) {
        this.skip(this.piece(run, "tags", k), `tag ${JSON.stringify(k)} not imported: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private checkedParams(run: SourceRun, params: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) {
      try {
        validate.key("param", k);
        out[k] = validate.jsonValue(`param ${k}`, v);
      } catch (err) {
        this.skip(this.piece(run, "params", k), `param not imported: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private metricDrafts(run: SourceRun, runId: string, key: string, points: SourceRun["metrics"][string]): EventDraft[] {
    try {
      validate.key("metric", key);
    } catch (err) {
      this.skip(this.piece(run, "metrics", key), `metric not imported: ${(err as Error).message}`);
      return [];
    }
    this.report.metricPoints += points.length;
    return points.map((p) => draft("MetricsLogged", { runId, metrics: { [key]: encodeNumber(p.value) }, step: p.step, timestamp: p.timestamp }));
  }

  /** Stores the file's bytes (content-addressed) and makes its event; a file that cannot be read is listed and left out. */
  private async artifactDrafts(run: SourceRun, runId: string, name: string, file: string, model: null): Promise<EventDraft[]> {
    try {
      validate.key("artifact", name);
      const ref = await this.artifacts.store(runId, name, { file }); // the store checks the name (folders allowed where it allows them)
      this.report.artifacts++;
      return [draft("ArtifactLogged", { runId, name, ...ref, model })];
    } catch (err) {
      const unreadable = (err as NodeJS.ErrnoException).code !== undefined || (err as Error).name === "ArtifactNotFound";
      this.skip(unreadable ? relative(this.store.dir, file) : this.piece(run, "artifacts", name), `${unreadable ? "cannot be read" : "artifact not imported"}: ${(err as Error).message}`);
      return [];
    }
  }

  // ---------------------------------------------------------------- registry

  private async registry(): Promise<void> {
    for (const model of this.store.models) {
      try {
        validate.name("modelName", model.name);
      } catch (err) {
        this.skip(`${this.store.kind}:models/${model.name}`, (err as Error).message);
        for (const v of model.versions) this.progress(v.origin);
        continue;
      }
      const versions = new Map<string, string>(); // source origin → runelog version
      const hadModel = Boolean((await this.ctx.registry.current()).state.models[model.name]);
      let added = 0;
      for (const v of model.versions) {
        const version = await this.version(model.name, v);
        if (version.version) versions.set(v.origin, version.version);
        if (version.added) added++;
        this.progress(v.origin);
      }
      if (added > 0 && !hadModel) this.report.models++;
      const { state } = await this.ctx.registry.current();
      const current = state.models[model.name];
      const drafts: EventDraft[] = [];
      for (const [alias, origin] of Object.entries(model.aliases)) {
        const version = versions.get(origin);
        if (!version) {
          this.skip(`${this.store.kind}:models/${model.name}/aliases/${alias}`, "points at a version that was not imported");
        } else if (current?.aliases[alias] !== version) {
          if (/^\d+$/.test(alias) || alias === "latest" || alias.startsWith("@") || alias.includes("/")) {
            this.skip(`${this.store.kind}:models/${model.name}/aliases/${alias}`, "not a usable alias name in runelog");
          } else drafts.push(draft("ModelAliasSet", { modelName: model.name, alias, version }));
        }
      }
      await this.append(this.ctx.registry, drafts);
    }
  }

  private async version(modelName: string, v: SourceStore["models"][number]["versions"][number]): Promise<{ version: string | null; added: boolean }> {
    const tags: Record<string, string> = { ...v.tags, [IMPORT_TAG]: v.origin };
    for (const k of Object.keys(tags)) {
      try {
        validate.key("tag", k);
      } catch (err) {
        this.skip(v.origin, `tag ${JSON.stringify(k)} not imported: ${(err as Error).message}`);
        delete tags[k];
      }
    }
    const find = (state: RegistryState) => Object.values(state.models[modelName]?.versions ?? {}).find((r) => r.tags[IMPORT_TAG] === v.origin);
    const existing = find((await this.ctx.registry.current()).state);
    if (existing) {
      const changed = Object.fromEntries(Object.entries(tags).filter(([k, value]) => existing.tags[k] !== value));
      if (Object.keys(changed).length > 0) await this.append(this.ctx.registry, [draft("ModelTagsSet", { modelName, version: existing.version, tags: changed })]);
      return { version: existing.version, added: false };
    }
    let ref;
    try {
      ref = await this.ctx.store.blobs.put({ file: v.file });
      if (!(await this.ctx.store.blobs.attach(ref.sha256, { kind: "registry" }))) throw new Error("its stored bytes vanished");
    } catch (err) {
      this.skip(relative(this.store.dir, v.file), `cannot be read: ${(err as Error).message}`);
      return { version: null, added: false };
    }
    const run = v.runOrigin ? this.runs.get(v.runOrigin) : undefined;
    let artifactName = v.artifactName ?? basename(v.file);
    if (run) {
      const state = (await this.ctx.experiment(run.experimentId).current()).state.runs[run.runId];
      const same = state && Object.entries(state.artifacts).find(([, a]) => a.sha256 === ref.sha256);
      if (same) artifactName = same[0];
    }
    for (;;) {
      const { state, position } = await this.ctx.registry.current();
      const again = find(state);
      if (again) return { version: again.version, added: false };
      const version = String((state.models[modelName]?.lastVersion ?? 0) + 1);
      const data = {
        modelName,
        version,
        sourceRunId: run?.runId ?? v.sourceRunId,
        experimentId: run?.experimentId ?? "",
        artifactName,
        sha256: ref.sha256,
        size: ref.size,
        model: null,
        tags,
        registeredAt: v.registeredAt,
      };
      try {
        await this.append(this.ctx.registry, [draft("ModelVersionRegistered", data)], position.seq);
        this.report.versions++;
        return { version, added: true };
      } catch (err) {
        if (!isConflict(err)) throw err; // another writer took this number: take the next
      }
    }
  }
}

function hashFile(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (b) => hash.update(b))
      .on("error", fail)
      .on("end", () => done(hash.digest("hex")));
  });
}
