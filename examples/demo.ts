/**
 * The runelog demo: a logistic-regression grid search trained by 4 worker processes that all log
 * into one experiment, then the results table, the model registry and a look at the journal.
 *
 *   npm run demo                      (from the repository)
 *   RUNELOG_DEMO_QUICK=1 npm run demo (a 4-trial, 5-epoch grid)
 *
 * Everything lands in ./.runelog of the directory you run it from, or in the store $RUNELOG_PATH
 * names (a folder, or a postgres:// URL: docs/team-store.md).
 */
import { fork } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RuneLog } from "../src/index.js";
import { isDatabaseUrl } from "../src/tracker.js";
import type { Trial, TrialReport, WorkerAssignment } from "./demo-worker.js";
import { demoData, evaluate, type LogRegModel } from "./logreg.js";

const EXPERIMENT = "logreg-demo";
const REGISTERED_MODEL = "logreg-demo-classifier";
const WORKERS = 4;
const QUICK = process.env.RUNELOG_DEMO_QUICK === "1";

const GRID = QUICK
  ? { learningRate: [0.2, 1], l2: [0], batchSize: [32, 256], epochs: 5 }
  : { learningRate: [0.05, 0.2, 1, 3], l2: [0, 0.01], batchSize: [32, 256], epochs: 25 };

const style = process.stdout.isTTY && !process.env.NO_COLOR
  ? { bold: (s: string) => `\x1b[1m${s}\x1b[22m`, dim: (s: string) => `\x1b[2m${s}\x1b[22m`, green: (s: string) => `\x1b[32m${s}\x1b[39m` }
  : { bold: (s: string) => s, dim: (s: string) => s, green: (s: string) => s };

function gridTrials(): Trial[] {
  const trials: Trial[] = [];
  for (const learningRate of GRID.learningRate) {
    for (const l2 of GRID.l2) {
      for (const batchSize of GRID.batchSize) trials.push({ index: trials.length + 1, learningRate, l2, batchSize, epochs: GRID.epochs });
    }
  }
  return trials;
}

/** Starts the workers, prints each trial as it finishes, and resolves when every worker exited cleanly. */
async function runWorkers(trials: Trial[]): Promise<void> {
  const workerScript = fileURLToPath(new URL("./demo-worker.js", import.meta.url));
  let done = 0;
  const exits = Array.from({ length: WORKERS }, (_, w) => {
    const assignment: WorkerAssignment = {
      workerId: w + 1,
      experimentName: EXPERIMENT,
      trials: trials.filter((_, i) => i % WORKERS === w), // round-robin, so each worker gets a mix of settings
    };
    const child = fork(workerScript, { env: { ...process.env, RUNELOG_DEMO_ASSIGNMENT: JSON.stringify(assignment) } });
    child.on("message", (message) => {
      const r = message as TrialReport;
      done++;
      console.log(
        `  ${style.dim(`worker ${r.workerId}`)}  trial ${pad(`${r.trial.index}/${trials.length}`, 5)}  ${describeTrial(r.trial)}  ` +
          `val_accuracy ${r.valAccuracy.toFixed(4)}  ${style.dim(`run …${shortId(r.runId)}, ${r.metricEvents} metric points committed in ${r.logMs.toFixed(0)} ms`)}`,
      );
    });
    return new Promise<void>((resolvePromise, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => (code === 0 ? resolvePromise() : reject(new Error(`worker ${w + 1} exited with ${signal ?? `code ${code}`}`))));
    });
  });
  await Promise.all(exits);
  if (done !== trials.length) throw new Error(`only ${done} of ${trials.length} trials reported back`);
}

async function main(): Promise<void> {
  const tracker = new RuneLog(); // $RUNELOG_PATH, else "."
  const inDatabase = isDatabaseUrl(tracker.path);
  const storeDir = inDatabase ? tracker.storeDir : resolve(tracker.path, ".runelog");
  const { train, validation, features } = demoData();
  const trials = gridTrials();

  console.log(style.bold(`\nrunelog demo: logistic regression, ${trials.length}-trial grid search on ${WORKERS} worker processes${QUICK ? " (quick mode)" : ""}`));
  console.log(`  data   ${(train.labels.length + validation.labels.length).toLocaleString("en")} synthetic samples × ${features.length} features (seeded) → ${train.labels.length.toLocaleString("en")} train / ${validation.labels.length} validation`);
  console.log(`  grid   learningRate ${GRID.learningRate.join(", ")} × l2 ${GRID.l2.join(", ")} × batchSize ${GRID.batchSize.join(", ")}, ${GRID.epochs} epochs each`);
  console.log(`  store  ${storeDir}  (experiment "${EXPERIMENT}")\n`);

  const started = performance.now();
  await runWorkers(trials);
  console.log(`\n${trials.length} trials finished in ${((performance.now() - started) / 1000).toFixed(1)} s, all logged into one experiment by ${WORKERS} processes at once.\n`);

  // ---- results table
  const results = await tracker.loadResults(EXPERIMENT, { sortBy: "metrics.val_accuracy", ascending: false });
  const top = results
    .select({ runId: "run", "params.learningRate": "lr", "params.l2": "l2", "params.batchSize": "batch", "metrics.val_accuracy": "val_accuracy", "metrics.val_loss": "val_loss", status: "status" })
    .objects({ limit: 5 }) as Array<{ run: string; lr: number; l2: number; batch: number; val_accuracy: number; val_loss: number; status: string }>;
  console.log(style.bold(`Top ${top.length} of ${results.numRows()} runs in "${EXPERIMENT}", by val_accuracy (loadResults → Arquero table):`));
  printTable(
    ["run", "lr", "l2", "batch", "val_accuracy", "val_loss", "status"],
    top.map((r) => [`…${shortId(r.run)}`, String(r.lr), String(r.l2), String(r.batch), r.val_accuracy.toFixed(4), r.val_loss.toFixed(4), r.status]),
  );

  // ---- the best run's learning curves
  const bestRunId = top[0]!.run;
  const best = (await tracker.getRun(bestRunId))!;
  console.log(style.bold(`\nBest run ${bestRunId}`) + `  (${describeParams(best.params)}, worker ${best.tags.worker})`);
  for (const key of ["train_loss", "val_loss", "val_accuracy"]) {
    const values = (await tracker.getMetricHistory(bestRunId, key)).map((p) => p.value);
    console.log(`  ${pad(key, 13)} ${sparkline(values)}  ${values[0]!.toFixed(3)} → ${values.at(-1)!.toFixed(3)}  ${style.dim(`(${values.length} epochs)`)}`);
  }

  // ---- model registry: register, alias, load back, check
  const version = await tracker.registerModel(bestRunId, "model", REGISTERED_MODEL, { source: "demo grid search" });
  await tracker.setModelAlias(REGISTERED_MODEL, "champion", version);
  const champion = await tracker.loadRegisteredModel(REGISTERED_MODEL, "@champion");
  if (!isLogRegModel(champion)) throw new Error(`${REGISTERED_MODEL}@champion did not load as a { weights, bias, features } model`);
  const reloaded = evaluate(champion, validation);
  const logged = best.metrics.val_accuracy!;
  console.log(style.bold(`\nModel registry`));
  console.log(`  registered run …${shortId(bestRunId)}'s "model" artifact as ${REGISTERED_MODEL} version ${version}, alias @champion`);
  console.log(`  loadRegisteredModel("${REGISTERED_MODEL}", "@champion") → ${champion.features.map((f, i) => `${f} ${signed(champion.weights[i]!)}`).join("  ")}  bias ${signed(champion.bias)}`);
  console.log(
    `  its validation accuracy: ${reloaded.accuracy.toFixed(4)} (logged by the run: ${logged.toFixed(4)}) ` +
      (reloaded.accuracy === logged ? style.green("✓ identical") : "✗ differs"),
  );
  if (reloaded.accuracy !== logged) process.exitCode = 1;

  // ---- where it all lives
  const experimentId = String(results.get("experimentId", 0));
  const runs = await tracker.getExperimentRuns(experimentId);
  console.log(style.bold(`\nWhere the data lives`));
  console.log(`  store     ${storeDir}`);
  if (inDatabase) {
    let events = 0;
    for await (const _ of tracker.events({ experiment: experimentId })) events++;
    console.log(`  journal   stream experiments/${experimentId} of the events table  (${events} events, append-only)`);
    console.log(`  look      npx runelog events --experiment ${EXPERIMENT} --last 3`);
  } else {
    const journal = join(storeDir, "experiments", `${experimentId}.ndjson`);
    const journalLines = (await readFile(journal, "utf8")).split("\n").filter(Boolean).length;
    console.log(`  journal   ${journal}  (${journalLines} events, append-only NDJSON)`);
    console.log(`  registry  ${join(storeDir, "registry.ndjson")}`);
    console.log(`  look      tail -n 3 ${relative(process.cwd(), journal)} | jq .`);
  }
  const earlier = runs.length - trials.length;
  console.log(`\nThis experiment now has ${runs.length} runs` + (earlier > 0 ? ` (${earlier} from earlier demo runs).` : ". Run the demo again and it grows."));
  console.log(`See it in the browser: npx runelog ui   (runs table, curves, compare, registry, history)`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => "  " + cells.map((cell, c) => pad(cell, widths[c]!)).join("  ").trimEnd();
  console.log(style.dim(line(header)));
  for (const row of rows) console.log(line(row));
}

function sparkline(values: number[]): string {
  const bars = "▁▂▃▄▅▆▇█";
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  return values.map((v) => bars[Math.round(((v - low) / span) * (bars.length - 1))]).join("");
}

function describeTrial(t: Trial): string {
  return `${pad(`lr=${t.learningRate}`, 7)}  ${pad(`l2=${t.l2}`, 7)}  ${pad(`batch=${t.batchSize}`, 9)}`;
}

function describeParams(p: Record<string, unknown>): string {
  return `lr=${p.learningRate}, l2=${p.l2}, batch=${p.batchSize}, epochs=${p.epochs}`;
}

function isLogRegModel(value: unknown): value is LogRegModel {
  const m = value as LogRegModel;
  return typeof m === "object" && m !== null && Array.isArray(m.weights) && typeof m.bias === "number" && Array.isArray(m.features);
}

/** The end of a ULID is its random part; the start is a timestamp that runs made together share. */
function shortId(runId: string): string {
  return runId.slice(-8);
}

function signed(x: number): string {
  return (x < 0 ? "" : "+") + x.toFixed(2);
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

await main();
