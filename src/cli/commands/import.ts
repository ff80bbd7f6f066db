/** runelog import runelog-py|mlflow SOURCE: bring another tracker's store along (docs/migrating.md). */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { InvalidInput } from "../../errors.js";
import { UnreadableSource } from "../../source-store.js";
import { CliError, globals, openTracker, printJson } from "../context.js";
import { plural } from "../format.js";

const KINDS = ["runelog-py", "mlflow"] as const;

export function importCommand(): Command {
  return new Command("import")
    .description("import a Python RuneLog store (runelog-py) or an MLflow file store (mlflow); again later, only what is new")
    .argument("<kind>", `the source's kind: ${KINDS.join(" or ")}`)
    .argument("<source>", "runelog-py: the folder holding .mlruns/ (or .mlruns/ itself); mlflow: the mlruns/ folder or a file: URI")
    .addHelpText("after", "\nExit code: 0 everything imported, 1 some pieces were skipped (listed), 2 the source cannot be read.\nExample:\n  runelog import mlflow ./mlruns")
    .action(async (kind: string, source: string, _opts: unknown, cmd: Command) => {
      if (!(KINDS as readonly string[]).includes(kind)) throw new CliError(`unknown source kind ${JSON.stringify(kind)}; use ${KINDS.join(" or ")}`, 2);
      const { json } = globals(cmd);
      const tracker = await openTracker(cmd, { create: true });
      const bar = process.stderr.isTTY && !json ? new cliProgress.SingleBar({ format: "importing {bar} {value}/{total}  {item}", stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
      let started = false;
      let report;
      try {
        report = await tracker.importStore({
          from: kind as (typeof KINDS)[number],
          source,
          onProgress: ({ done, total, item }: { done: number; total: number; item: string }) => {
            if (!bar) return;
            if (!started) bar.start(total, 0, { item: "" });
            started = true;
            bar.update(done, { item });
          },
        });
      } catch (err) {
        if (err instanceof UnreadableSource || (err instanceof InvalidInput && /source/.test(err.message))) throw new CliError((err as Error).message, 2);
        throw err;
      } finally {
        if (started) bar?.stop();
      }
      if (json) printJson(report);
      else {
        const out = [
          `imported from ${source}: ${plural(report.experiments, "new experiment")}, ${plural(report.runs, "run")}, ${plural(report.metricPoints, "metric point")}, ${plural(report.artifacts, "artifact")}, ${plural(report.models, "model")}, ${plural(report.versions, "version")} (${plural(report.events, "event")})`,
        ];
        if (report.events === 0) out.push("nothing new: everything in the source was imported before");
        if (report.skipped.length > 0) {
          out.push(`skipped ${plural(report.skipped.length, "piece")}:`);
          for (const s of report.skipped) out.push(`  ${s.path}: ${s.reason}`);
        }
        process.stdout.write(out.join("\n") + "\n");
      }
      process.exitCode = report.skipped.length > 0 ? 1 : 0;
    });
}
