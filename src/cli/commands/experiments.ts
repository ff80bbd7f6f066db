/** runelog experiments list | get | delete | export */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { Command, Option } from "commander";
import type { ColumnTable } from "arquero";
import { ExperimentNotFound, type RuneLog } from "../../index.js";
import { confirm, globals, journalOf, openTracker, printJson } from "../context.js";
import { fields, formatTime, plural, table, toJson } from "../format.js";
import { Progress } from "../progress.js";

const SUMMARY_SORT = ["name", "numRuns", "lastRun", "createdAt"];

export function experimentsCommand(): Command {
  const cmd = new Command("experiments").alias("exp").description("list, inspect, delete and export experiments");

  cmd
    .command("list")
    .alias("ls")
    .description("list the experiments with their number of runs and latest run")
    .addOption(new Option("--sort <key>", "sort by").choices(SUMMARY_SORT))
    .option("--desc", "sort descending")
    .action(async (opts: { sort?: string; desc?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const summaries = await tracker.getExperimentSummaries({ sortBy: opts.sort, ascending: !opts.desc });
      if (globals(command).json) return printJson(summaries);
      console.log(
        table(
          [{ header: "id", align: "right", keep: true }, { header: "name" }, { header: "runs", align: "right" }, { header: "last run" }, { header: "created" }],
          summaries.map((s) => [s.experimentId, s.name, String(s.numRuns), formatTime(s.lastRun), formatTime(s.createdAt)]),
        ),
      );
    });

  cmd
    .command("get <experiment>")
    .alias("show")
    .description("show one experiment (by name or id): its runs by status, where its journal is")
    .action(async (experiment: string, _opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const exp = await findExperiment(tracker, experiment);
      const runs = await tracker.getExperimentRuns(exp.experimentId);
      const byStatus: Record<string, number> = {};
      for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      const lastRun = runs.reduce<string | null>((last, r) => (last === null || r.startTime > last ? r.startTime : last), null);
      const journal = journalOf(tracker, exp.experimentId);
      if (globals(command).json) return printJson({ ...exp, numRuns: runs.length, lastRun, runsByStatus: byStatus, journal });
      console.log(
        fields([
          ["id", exp.experimentId],
          ["name", exp.name],
          ["created", formatTime(exp.createdAt)],
          ["runs", runs.length === 0 ? "0" : `${runs.length} (${Object.entries(byStatus).map(([s, n]) => `${n} ${s}`).join(", ")})`],
          ["last run", formatTime(lastRun) || "—"],
          ["journal", journal],
        ]),
      );
    });

  cmd
    .command("delete <experiment>")
    .alias("rm")
    .description("delete an experiment (by name or id) and its runs from every view")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (experiment: string, opts: { yes?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const exp = await findExperiment(tracker, experiment);
      const runs = await tracker.getExperimentRuns(exp.experimentId);
      await confirm(`Delete experiment "${exp.name}" (id ${exp.experimentId}) and its ${plural(runs.length, "run")}?`, opts.yes);
      await tracker.deleteExperiment(exp.experimentId);
      if (globals(command).json) return printJson({ deleted: exp.experimentId, name: exp.name, runs: runs.length });
      console.log(`deleted experiment "${exp.name}" (id ${exp.experimentId}) and its ${plural(runs.length, "run")}; the journal keeps their history`);
    });

  cmd
    .command("export <experiment>")
    .description("write an experiment's results (one row per run: params.*, metrics.*, tags.*) as CSV or JSON")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .addOption(new Option("-f, --format <format>", "output format").choices(["csv", "json", "ndjson"]).default("csv"))
    .option("--sort <column>", "sort rows by a column, e.g. metrics.val_accuracy")
    .option("--desc", "sort descending")
    .action(async (experiment: string, opts: { output?: string; format: "csv" | "json" | "ndjson"; sort?: string; desc?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const format = globals(command).json && opts.format === "csv" ? "json" : opts.format;
      const progress = new Progress({ label: "loading runs", delayMs: 200 });
      let results: ColumnTable;
      try {
        results = await tracker.loadResults(experiment, { sortBy: opts.sort, ascending: !opts.desc });
      } finally {
        progress.stop();
      }
      await writeExport(results, format, opts.output);
      if (opts.output) process.stderr.write(`wrote ${plural(results.numRows(), "run")} × ${plural(results.numCols(), "column")} to ${opts.output}\n`);
    });

  return cmd;
}

export async function findExperiment(tracker: RuneLog, nameOrId: string): Promise<{ experimentId: string; name: string; createdAt: string }> {
  const all = await tracker.listExperiments();
  const found = all.find((e) => e.experimentId === nameOrId) ?? all.find((e) => e.name === nameOrId); // an id wins, as in the library
  if (!found) throw new ExperimentNotFound(nameOrId);
  return found;
}

const CHUNK_ROWS = 2000;

/** Writes the table in chunks of rows, so a large export shows a progress bar and never builds one huge string. */
async function writeExport(results: ColumnTable, format: "csv" | "json" | "ndjson", file: string | undefined): Promise<void> {
  const out = file ? createWriteStream(file) : process.stdout;
  const opened = file ? once(out, "open") : Promise.resolve();
  await opened;
  const rows = results.numRows();
  const progress = new Progress({ label: "exporting", total: rows, delayMs: 200 });
  const formatters = cellFormatters(results, format);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  try {
    if (format === "json") await write("[");
    for (let offset = 0; offset < rows || (offset === 0 && format === "csv"); offset += CHUNK_ROWS) {
      const limit = CHUNK_ROWS;
      if (format === "csv") {
        let text = results.toCSV({ offset, limit, header: offset === 0, format: formatters });
        if (rows === 0) text = results.columnNames().map(csvField).join(",");
        await write(text.endsWith("\n") ? text : text + "\n");
      } else if (format === "json") {
        const chunk = results.toJSON({ type: "rows", offset, limit, format: formatters }).slice(1, -1);
        await write((offset > 0 ? "," : "") + chunk);
      } else {
        const chunk = results.toJSON({ type: "ndjson", offset, limit, format: formatters });
        if (chunk) await write(chunk.endsWith("\n") ? chunk : chunk + "\n");
      }
      progress.update(Math.min(rows, offset + limit));
      if (rows === 0) break;
    }
    if (format === "json") await write("]\n");
  } finally {
    progress.stop();
  }
  if (file) {
    out.end();
    await once(out, "finish");
  }
}

function csvField(name: string): string {
  return /[",\n\r]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * CSV cells: params that are objects or arrays as their JSON (not "[object Object]"). JSON: NaN and
 * ±Infinity metrics as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 */
function cellFormatters(results: ColumnTable, format: "csv" | "json" | "ndjson"): Record<string, (v: unknown) => unknown> {
  const out: Record<string, (v: unknown) => unknown> = {};
  for (const name of results.columnNames()) {
    if (format === "csv" && name.startsWith("params.")) out[name] = (v) => (v !== null && typeof v === "object" ? toJson(v, 0) : v);
    if (format !== "csv" && name.startsWith("metrics.")) out[name] = (v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v);
  }
  return out;
}

