/** runelog sweep CONFIG: a parameter sweep, each trial one run, several trial processes at once. */
import { Command, Option } from "commander";
import { globals, openTracker, positiveInt, printJson } from "../context.js";
import { formatNumber, formatValue, plural, style, table, type Column } from "../format.js";
import { Progress } from "../progress.js";
import { expandTrials, loadSweepConfig } from "../sweep/config.js";
import { runSweep, type SweepResult } from "../sweep/runner.js";

interface SweepFlags {
  workers?: number;
  metric?: string;
  goal?: "maximize" | "minimize";
  top?: number;
  dryRun?: boolean;
}

export function sweepCommand(): Command {
  return new Command("sweep")
    .argument("<config>", "sweep config, YAML (.yaml/.yml) or JSON (.json)")
    .description("run a parameter sweep: one run per trial, trials in parallel processes, then the best runs")
    .option("-w, --workers <n>", "trials at once (overrides the config's workers)", positiveInt("--workers"))
    .option("-m, --metric <key>", "rank runs by this metric (overrides the config's metric)")
    .addOption(new Option("-g, --goal <goal>", "whether a higher or lower metric is better (overrides the config's goal)").choices(["maximize", "minimize"]))
    .option("--top <n>", "how many best runs to print", positiveInt("--top"))
    .option("--dry-run", "print the trials' params and run nothing")
    .addHelpText(
      "after",
      `
Each trial's command gets RUNELOG_RUN_ID, RUNELOG_PARAMS (JSON) and RUNELOG_PATH in its
environment; in it, \`await tracker.currentRun()\` (or startRun) logs into the trial's run.
Exit code 0 ends the run FINISHED, anything else FAILED; the other trials go on.
Example config (JSON or the same in YAML):
  { "experiment": "logreg-sweep", "command": ["node", "dist/examples/sweep-trial.js"],
    "params": { "learningRate": { "min": 0.01, "max": 3, "log": true }, "batchSize": [32, 256] },
    "trials": 4, "seed": 1, "workers": 4, "metric": "val_accuracy", "goal": "maximize" }`,
    )
    .action(async (file: string, flags: SweepFlags, command: Command) => {
      const json = globals(command).json;
      const loaded = await loadSweepConfig(file);
      const config = {
        ...loaded,
        workers: flags.workers ?? loaded.workers,
        metric: flags.metric ?? loaded.metric,
        goal: flags.goal ?? loaded.goal,
        top: flags.top ?? loaded.top,
      };
      if (flags.dryRun) {
        const trials = expandTrials(config);
        if (json) return printJson(trials.map((params, i) => ({ trial: i + 1, params })));
        const names = Object.keys(config.params);
        console.log(table([{ header: "trial", align: "right" }, ...names.map((n): Column => ({ header: n }))], trials.map((p, i) => [String(i + 1), ...names.map((n) => formatValue(p[n]))])));
        console.log(style.dim(`${plural(trials.length, "trial")}, ${Math.min(config.workers, trials.length)} at a time; nothing was run`));
        return;
      }
      const tracker = await openTracker(command, { create: true });
      const total = expandTrials(config).length;
      const progress = new Progress({ label: "sweep", total });
      if (progress.active) {
        progress.log(`sweep: ${plural(total, "trial")} of ${typeof config.command === "string" ? config.command : config.command.join(" ")}, ${Math.min(config.workers, total)} at a time, into experiment "${config.experiment}"`);
      }
      let result: SweepResult;
      try {
        result = await runSweep(tracker, config, {
          progress: progress.active ? progress : null,
          // On a terminal every trial gets a line above the bar; piped, only failures and notes (on stderr).
          log: (line, kind) => {
            if (progress.active) progress.log(line);
            else if (kind !== "ok") process.stderr.write(line + "\n");
          },
        });
      } finally {
        progress.stop();
      }
      if (json) printJson(result);
      else printSummary(result);
      if (result.interrupted) {
        process.stderr.write(`runelog: sweep interrupted after ${result.finished + result.failed} of ${total} trials\n`);
        process.exitCode = 130;
      } else if (result.failed > 0) {
        process.stderr.write(`runelog: ${result.failed} of ${total} trials failed (their runs are FAILED; each keeps its output as the artifact trial-output.log)\n`);
        process.exitCode = 1;
      }
    });
}

function printSummary(r: SweepResult): void {
  console.log(
    `sweep ${r.sweepId}: ${plural(r.trials.length, "trial")} in ${r.seconds.toFixed(1)} s on ${plural(r.workers, "worker")}: ` +
      `${style.green(`${r.finished} finished`)}, ${r.failed ? style.red(`${r.failed} failed`) : "0 failed"} (experiment "${r.experiment}", id ${r.experimentId}; tag sweep=${r.sweepId})`,
  );
  if (!r.metric) return;
  if (r.best.length === 0) {
    console.log(`no finished trial logged the metric ${JSON.stringify(r.metric)}`);
    return;
  }
  console.log(`\nbest ${plural(r.best.length, "run")} by ${r.metric} (${r.goal === "maximize" ? "higher" : "lower"} is better):`);
  const names = Object.keys(r.best[0]!.params);
  console.log(
    table(
      [{ header: "#", align: "right" }, { header: "run", keep: true }, { header: r.metric, align: "right" }, ...names.map((n): Column => ({ header: n }))],
      r.best.map((b) => [String(b.rank), b.runId, formatNumber(b.value), ...names.map((n) => formatValue(b.params[n]))]),
    ),
  );
}

