/**
 * The sweep runner: creates each trial's run here, hands it to a child process through the
 * environment (RUNELOG_RUN_ID, RUNELOG_PARAMS, RUNELOG_PATH), keeps `workers` children going at
 * once, and settles each run from how its child exited.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { readFile, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RuneLog, RunStatus } from "../../index.js";
import { formatDuration, formatValue, style, truncate, terminalWidth } from "../format.js";
import { Progress } from "../progress.js";
import { expandTrials, type Goal, type SweepConfig } from "./config.js";

export interface TrialResult {
  trial: number;
  runId: string;
  params: Record<string, unknown>;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  /** The last telling line of the trial's output, when it failed. */
  error?: string;
}

export interface SweepResult {
  sweepId: string;
  experiment: string;
  experimentId: string;
  command: string[] | string;
  workers: number;
  trials: TrialResult[];
  finished: number;
  failed: number;
  interrupted: boolean;
  seconds: number;
  metric: string | null;
  goal: Goal;
  best: Array<{ rank: number; runId: string; trial: number; value: number; params: Record<string, unknown> }>;
}

export interface RunnerOptions {
  /** Told a line per finished trial, and notes ("interrupted"): `failed` marks the lines worth showing even when piped. */
  log: (line: string, kind: "ok" | "failed" | "note") => void;
  progress: Progress | null;
}

/** The name of the artifact that holds a trial's stdout and stderr. */
export const OUTPUT_ARTIFACT = "trial-output.log";

export async function runSweep(tracker: RuneLog, config: SweepConfig, options: RunnerOptions): Promise<SweepResult> {
  const sweepId = randomBytes(4).toString("hex");
  const trials = expandTrials(config);
  const workers = Math.min(config.workers, trials.length);
  const experimentId = await tracker.getOrCreateExperiment(config.experiment);
  const storePath = resolve(tracker.path);
  const started = Date.now();
  // This process creates the runs: a RUNELOG_RUN_ID it inherited (a sweep run from a trial) must not hijack startRun.
  delete process.env.RUNELOG_RUN_ID;

  const results: TrialResult[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  let next = 0;
  let interrupted = false;
  const counts = { finished: 0, failed: 0, running: 0 };
  const showProgress = () =>
    options.progress?.update(counts.finished + counts.failed, `✓ ${counts.finished} finished  ✗ ${counts.failed} failed  ▶ ${counts.running} running`);

  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    options.log(style.yellow("interrupted: stopping the running trials, starting no more", process.stderr), "note");
    for (const child of children) child.kill("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const runTrial = async (index: number): Promise<void> => {
    const params = trials[index]!;
    const trial = index + 1;
    const run = await tracker.startRun({ experimentId, logCode: false, tags: { sweep: sweepId, "sweep.trial": String(trial) } });
    await run.logParams(params);
    counts.running++;
    showProgress();
    const outputFile = join(tmpdir(), `runelog-sweep-${sweepId}-${trial}-${process.pid}.log`);
    const fd = openSync(outputFile, "w");
    const t0 = Date.now();
    const env = {
      ...process.env,
      RUNELOG_RUN_ID: run.runId,
      RUNELOG_PARAMS: JSON.stringify(params),
      RUNELOG_PATH: storePath,
      RUNELOG_SWEEP_ID: sweepId,
      RUNELOG_TRIAL: String(trial),
    };
    const exit = await new Promise<{ code: number | null; signal: string | null; spawnError?: string }>((done) => {
      const [file, args, shell] = typeof config.command === "string" ? [config.command, [], true] : [config.command[0] === "node" ? process.execPath : config.command[0]!, config.command.slice(1), false];
      const child = spawn(file, args, { cwd: config.cwd, env, shell, stdio: ["ignore", fd, fd] });
      children.add(child);
      child.once("error", (err) => {
        children.delete(child);
        done({ code: null, signal: null, spawnError: `cannot run ${JSON.stringify(file)}: ${err.message}` });
      });
      child.once("exit", (code, signal) => {
        children.delete(child);
        done({ code, signal });
      });
    });
    closeSync(fd);
    counts.running--;

    const tags: Record<string, string> = {};
    if (exit.code !== null) tags["sweep.exit_code"] = String(exit.code);
    if (exit.signal) tags["sweep.signal"] = exit.signal;
    if (Object.keys(tags).length) await run.setTags(tags);
    const output = await readFile(outputFile, "utf8").catch(() => "");
    if ((await stat(outputFile).catch(() => null))?.size) await run.logArtifact(outputFile, { name: OUTPUT_ARTIFACT });
    await unlink(outputFile).catch(() => {});

    // The trial may have ended its run itself (startRun with a function does); otherwise its exit says how it went.
    const current = await tracker.getRun(run.runId);
    const failedStatus = interrupted && exit.signal ? "KILLED" : "FAILED";
    if (current && current.endTime === null) await run.end(exit.code === 0 ? "FINISHED" : failedStatus);
    else if (current?.status === "FINISHED" && exit.code !== 0) await run.end(failedStatus); // it said FINISHED, then its process failed
    const status = (await tracker.getRun(run.runId))?.status ?? "FAILED";
    const ok = status === "FINISHED" && exit.code === 0;
    const result: TrialResult = { trial, runId: run.runId, params, status, exitCode: exit.code, signal: exit.signal, seconds: (Date.now() - t0) / 1000 };
    const error = ok ? undefined : (exit.spawnError ?? lastTellingLine(output));
    if (error) result.error = error;
    results.push(result);
    if (ok) counts.finished++;
    else counts.failed++;
    showProgress();
    const how = ok ? formatDuration(result.seconds * 1000) : `${status}${exit.signal ? ` (${exit.signal})` : exit.code !== null ? ` (exit code ${exit.code})` : ""}${error ? `: ${error}` : ""}`;
    const line = truncate(`${ok ? "✓" : "✗"} trial ${trial}/${trials.length}  ${describeParams(params)}  run ${run.runId}  ${how}`, Math.max(40, terminalWidth(process.stderr)));
    options.log((ok ? style.green : style.red)(line.slice(0, 1), process.stderr) + line.slice(1), ok ? "ok" : "failed");
  };

  const worker = async (): Promise<void> => {
    while (!interrupted && next < trials.length) await runTrial(next++);
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  results.sort((a, b) => a.trial - b.trial);

  const metric = config.metric ?? null;
  const best: SweepResult["best"] = [];
  if (metric) {
    const scored: Array<{ r: TrialResult; value: number }> = [];
    for (const r of results) {
      if (r.status !== "FINISHED") continue;
      const value = (await tracker.getRun(r.runId))?.metrics[metric];
      if (typeof value === "number" && !Number.isNaN(value)) scored.push({ r, value });
    }
    scored.sort((a, b) => (config.goal === "maximize" ? b.value - a.value : a.value - b.value) || a.r.trial - b.r.trial);
    scored.slice(0, config.top).forEach(({ r, value }, i) => best.push({ rank: i + 1, runId: r.runId, trial: r.trial, value, params: r.params }));
  }
  return {
    sweepId,
    experiment: config.experiment,
    experimentId,
    command: config.command,
    workers,
    trials: results,
    finished: counts.finished,
    failed: counts.failed,
    interrupted,
    seconds: (Date.now() - started) / 1000,
    metric,
    goal: config.goal,
    best,
  };
}

function describeParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(" ");
}

/** From a failed trial's output: the error line (Node prints "Error: …" above its stack), else the last line. */
export function lastTellingLine(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^Node\.js v\d/.test(l) && !/^at /.test(l) && l !== "^");
  const error = [...lines].reverse().find((l) => /^([A-Z]\w*)?(Error|Exception)\b.*:/.test(l) || /^Uncaught\b/.test(l));
  return error ?? lines.at(-1);
}
