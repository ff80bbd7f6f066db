/** runelog runs list | search | get | delete | compare | history | download-artifact */
import { copyFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Command, Option } from "commander";
import { InvalidInput, RunNotFound, type RuneLog, type RunDetails, type SearchedRun } from "../../index.js";
import { CliError, collect, confirm, globals, openTracker, positiveInt, printJson } from "../context.js";
import { type Column, fields, formatNumber, formatTime, formatValue, paintStatus, plural, runDuration, style, table } from "../format.js";

const STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED"];

export function runsCommand(): Command {
  const cmd = new Command("runs").description("list, inspect, compare and delete runs; read metric histories and artifacts");

  cmd
    .command("list <experiment>")
    .alias("ls")
    .description("list an experiment's runs (by experiment name or id) with their params and latest metrics")
    .option("--sort <column>", "sort by a column: startTime, status, metrics.<key>, params.<key>, …", "startTime")
    .option("--desc", "sort descending")
    .option("-f, --filter <filter>", "only runs that match, e.g. \"metrics.acc > 0.9 and params.optimizer = 'adam'\" (docs/search.md)")
    .addOption(new Option("--status <status>", "only runs with this status").choices(STATUSES))
    .option("-n, --limit <n>", "show at most n runs", positiveInt("--limit"))
    .option("-q, --quiet", "print only the run ids, one per line (for $(…) in scripts)")
    .action(async (experiment: string, opts: { sort: string; desc?: boolean; filter?: string; status?: string; limit?: number; quiet?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const results = await query(() => tracker.loadResults(experiment, { sortBy: opts.sort, ascending: !opts.desc, filter: opts.filter }));
      let rows = results.objects() as Array<Record<string, unknown>>;
      if (opts.status) rows = rows.filter((r) => r.status === opts.status);
      if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
      if (globals(command).json) return printJson(rows.map(nestRow));
      if (opts.quiet) {
        for (const r of rows) console.log(r.runId);
        return;
      }
      const extra = results.columnNames().filter((c) => c.startsWith("params.") || c.startsWith("metrics."));
      const columns: Column[] = [
        { header: "run", keep: true },
        { header: "status", keep: true, paint: (cell) => paintStatus(cell) },
        { header: "started", keep: true },
        { header: "duration", align: "right" },
        ...extra.map((c): Column => ({ header: c.replace(/^(params|metrics)\./, ""), align: c.startsWith("metrics.") ? "right" : "left" })),
      ];
      console.log(
        table(
          columns,
          rows.map((r) => [
            String(r.runId),
            String(r.status),
            formatTime(r.startTime as string),
            runDuration(r.startTime as string, r.endTime as string | null),
            ...extra.map((c) => formatValue(r[c])),
          ]),
        ),
      );
      const params = extra.filter((c) => c.startsWith("params.")).length;
      if (rows.length === 0) console.log(style.dim("(no runs)"));
      else if (params > 0 && extra.length > params) console.log(style.dim(`${plural(rows.length, "run")}; columns: ${plural(params, "param")}, then latest metrics`));
    });

  cmd
    .command("search")
    .alias("find")
    .description("find runs in every experiment (or those given) that match a filter, best first with --order-by")
    .option("-f, --filter <filter>", "e.g. \"metrics.acc > 0.9 and params.optimizer = 'adam'\" (docs/search.md); default: every run")
    .option("-e, --experiment <name-or-id>", "search this experiment (repeat for several; default: all)", collect)
    .option("-o, --order-by <key>", "e.g. \"metrics.acc DESC\" (repeat for more keys; then start time, run id)", collect)
    .option("-n, --limit <n>", "show at most n runs", positiveInt("--limit"))
    .option("-q, --quiet", "print only the run ids, one per line (for $(…) in scripts)")
    .addHelpText(
      "after",
      `
Examples:
  runelog runs search --filter "metrics.val_accuracy > 0.8 and params.batchSize = 32" --order-by "metrics.val_accuracy DESC"
  runelog runs search -e mnist -e cifar --filter "tags.stage = 'final' or params.lr < 0.01" --limit 5
  runelog runs search --filter "attributes.status = 'FAILED'" -q

Filter grammar, operators and MLflow differences: docs/search.md`,
    )
    .action(async (opts: { filter?: string; experiment?: string[]; orderBy?: string[]; limit?: number; quiet?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const runs = await query(() => tracker.searchRuns({ filter: opts.filter, experiments: opts.experiment, orderBy: opts.orderBy, maxResults: opts.limit }));
      if (globals(command).json) return printJson(runs);
      if (opts.quiet) {
        for (const r of runs) console.log(r.runId);
        return;
      }
      if (runs.length === 0) return console.log(style.dim(opts.filter ? "(no runs match)" : "(no runs)"));
      const names = new Map((await tracker.listExperiments()).map((e) => [e.experimentId, e.name]));
      console.log(searchTable(runs, names, opts.orderBy ?? []));
      console.log(style.dim(`${plural(runs.length, "run")}${opts.limit !== undefined && runs.length === opts.limit ? ` (--limit ${opts.limit})` : ""}`));
    });

  cmd
    .command("get <run>")
    .alias("show")
    .description("show a run: status, params, latest metrics, tags, artifacts, git")
    .action(async (runId: string, _opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const run = await requireRunDetails(tracker, runId);
      if (globals(command).json) return printJson(run);
      const exp = await tracker.getExperiment(run.experimentId);
      const pairs: Array<[string, string]> = [
        ["run", run.runId],
        ["experiment", `${exp?.name ?? "?"} (id ${run.experimentId})`],
        ["status", paintStatus(run.status)],
        ["started", formatTime(run.startTime)],
        ["ended", run.endTime ? `${formatTime(run.endTime)} (${runDuration(run.startTime, run.endTime)})` : "—"],
      ];
      if (run.parentRunId) pairs.push(["parent run", run.parentRunId]);
      if (run.git) pairs.push(["git", `${run.git.commit.slice(0, 12)}${run.git.branch ? ` on ${run.git.branch}` : ""}${run.git.dirty ? " (uncommitted changes)" : ""}`]);
      if (run.env) pairs.push(["env", `node ${run.env.node}, ${run.env.platform}/${run.env.arch}`]);
      console.log(fields(pairs));
      section("params", Object.entries(run.params).map(([k, v]) => [k, formatValue(v)]));
      section(
        "metrics",
        Object.entries(run.metrics).map(([k, v]) => {
          const steps = run.metricHistory[k]?.length ?? 0;
          return [k, `${formatNumber(v)}${steps > 1 ? style.dim(`  (${steps} points: runelog runs history ${run.runId} ${k})`) : ""}`];
        }),
      );
      section("tags", Object.entries(run.tags));
      section("artifacts", run.artifacts.map((a) => [a, ""]));
    });

  cmd
    .command("delete <run...>")
    .alias("rm")
    .description("delete runs from every view (the journal keeps their history)")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (runIds: string[], opts: { yes?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      for (const id of runIds) if (!(await tracker.getRun(id))) throw new RunNotFound(id);
      await confirm(runIds.length === 1 ? `Delete run ${runIds[0]}?` : `Delete ${runIds.length} runs?`, opts.yes);
      for (const id of runIds) await tracker.deleteRun(id);
      if (globals(command).json) return printJson({ deleted: runIds });
      console.log(`deleted ${plural(runIds.length, "run")}: ${runIds.join(", ")}`);
    });

  cmd
    .command("compare <run> <runs...>")
    .description("show runs' params and latest metrics side by side; rows that differ are marked ≠")
    .option("--diff", "only the rows that differ")
    .action(async (first: string, rest: string[], opts: { diff?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const runs = await Promise.all([first, ...rest].map((id) => requireRunDetails(tracker, id)));
      const rows: Array<{ key: string; values: unknown[]; differs: boolean }> = [];
      const add = (key: string, values: unknown[]) => {
        const differs = new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
        if (!opts.diff || differs) rows.push({ key, values, differs });
      };
      add("status", runs.map((r) => r.status));
      add("experiment", runs.map((r) => r.experimentId));
      for (const k of unionKeys(runs.map((r) => r.params))) add(`params.${k}`, runs.map((r) => r.params[k] ?? null));
      for (const k of unionKeys(runs.map((r) => r.metrics))) add(`metrics.${k}`, runs.map((r) => r.metrics[k] ?? null));
      for (const k of unionKeys(runs.map((r) => r.tags))) add(`tags.${k}`, runs.map((r) => r.tags[k] ?? null));
      if (globals(command).json) return printJson({ runs: runs.map((r) => r.runId), rows });
      const columns: Column[] = [
        { header: "", keep: true },
        { header: "key", keep: true },
        ...runs.map((r): Column => ({ header: `…${r.runId.slice(-8)}`, align: "left" })),
      ];
      console.log(
        table(
          columns,
          rows.map((r) => [r.differs ? "≠" : "", r.key, ...r.values.map((v) => (v === null ? "—" : formatValue(v)))]),
        )
          .split("\n")
          .map((line, i) => (i > 0 && rows[i - 1]?.differs ? style.yellow(line) : line))
          .join("\n"),
      );
      const differing = rows.filter((r) => r.differs).length;
      console.log(style.dim(`${runs.map((r) => `…${r.runId.slice(-8)} = ${r.runId}`).join("; ")}\n${plural(differing, "row")} differ${differing === 1 ? "s" : ""}`));
    });

  cmd
    .command("history <run> <metric>")
    .description("print every logged point of a metric: step, value, time")
    .action(async (runId: string, key: string, _opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const history = await tracker.getMetricHistory(runId, key);
      if (history.length === 0) {
        const run = await tracker.getRun(runId);
        const known = Object.keys(run?.metrics ?? {});
        throw new CliError(`run ${runId} has no metric ${JSON.stringify(key)}${known.length ? ` (it has ${known.join(", ")})` : " (it logged no metrics)"}`);
      }
      if (globals(command).json) return printJson(history);
      console.log(
        table(
          [{ header: "step", align: "right" }, { header: "value", align: "right" }, { header: "time" }],
          history.map((p) => [String(p.step), formatNumber(p.value), new Date(p.timestamp).toISOString()]),
        ),
      );
    });

  cmd
    .command("download-artifact <run> <artifact>")
    .description("copy a run's artifact out of the store (to ./<artifact> unless -o says where)")
    .option("-o, --output <path>", "file to write, or an existing folder to write into")
    .option("--force", "overwrite an existing file")
    .action(async (runId: string, artifact: string, opts: { output?: string; force?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const source = await tracker.getArtifactAbspath(runId, artifact);
      let target = opts.output ?? basename(source);
      const existing = await stat(target).catch(() => null);
      if (existing?.isDirectory()) target = join(target, basename(source));
      else if (existing && !opts.force) throw new CliError(`${target} already exists; pass --force to overwrite it or -o to write elsewhere`);
      await copyFile(source, target);
      const size = (await stat(target)).size;
      if (globals(command).json) return printJson({ runId, artifact, path: target, bytes: size });
      console.log(`wrote ${target} (${plural(size, "byte")})`);
    });

  return cmd;
}

/** A filter or orderBy the library refused: its message already shows where (a caret under the text), exit 2. */
async function query<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof InvalidInput && (err.argument === "filter" || err.argument === "orderBy")) throw new CliError(err.message, 2);
    throw err;
  }
}

/** Search results: the run, its experiment, then the --order-by keys' columns (so the sort is visible), then params and metrics. */
function searchTable(runs: SearchedRun[], experimentNames: Map<string, string>, orderBy: string[]): string {
  const groups = ["params", "metrics"] as const;
  const keys: Array<[(typeof groups)[number], string]> = [];
  for (const g of groups) for (const k of unionKeys(runs.map((r) => r[g]))) keys.push([g, k]);
  const wanted = new Set(orderBy.map(orderColumn));
  const first = (entry: [string, string]) => wanted.has(`${entry[0]}.${entry[1]}`);
  const extra = [...keys.filter(first), ...keys.filter((k) => !first(k))];
  const columns: Column[] = [
    { header: "run", keep: true },
    { header: "experiment" },
    { header: "status", paint: (cell) => paintStatus(cell) },
    { header: "started" },
    ...extra.map(([g, k]): Column => ({ header: k, align: g === "metrics" ? "right" : "left" })),
  ];
  const rows = runs.map((r) => [
    r.runId,
    experimentNames.get(r.experimentId) ?? r.experimentId,
    r.status,
    formatTime(r.startTime),
    ...extra.map(([g, k]) => formatValue(r[g][k])),
  ]);
  return table(columns, rows);
}

/** "metric.`val acc` desc" → "metrics.val acc": the column an --order-by entry names (display only; the library parsed it). */
function orderColumn(entry: string): string {
  const text = entry.trim().replace(/\s+(asc|desc)$/i, "");
  const dot = text.indexOf(".");
  const kind = text.slice(0, dot).toLowerCase();
  const key = text.slice(dot + 1).replace(/^[`"](.*)[`"]$/s, "$1");
  return `${kind.startsWith("metric") ? "metrics" : kind.startsWith("param") ? "params" : kind}.${key}`;
}

async function requireRunDetails(tracker: RuneLog, runId: string): Promise<RunDetails> {
  const run = await tracker.getRunDetails(runId);
  if (!run) throw new RunNotFound(runId);
  return run;
}

function section(title: string, pairs: Array<[string, string]>): void {
  if (pairs.length === 0) return;
  console.log(`\n${style.bold(title)}`);
  console.log(fields(pairs, "  "));
}

function unionKeys(records: Array<Record<string, unknown>>): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
}

/** A results row as nested JSON: { runId, …, params: {}, metrics: {}, tags: {} }, leaving out keys a run never logged. */
function nestRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const groups: Record<string, Record<string, unknown>> = { params: {}, metrics: {}, tags: {} };
  for (const [column, value] of Object.entries(row)) {
    const dot = column.indexOf(".");
    if (dot < 0) out[column] = value;
    else if (value !== null && value !== undefined) groups[column.slice(0, dot)]![column.slice(dot + 1)] = value;
  }
  return { ...out, ...groups };
}
