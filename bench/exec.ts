/**
 * runelog exec throughput: a child printing N metric lines, logged through `runelog exec` (the built
 * bin), against the same N events logged by an in-process logMetric loop (group commit, not awaited
 * one by one), in one run, alternating. The raw limit beside them: the same child with its output
 * only read from the pipe. Target: exec ≥ 0.5 × the in-process rate.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuneLog } from "../src/index.js";
import { type BenchResult, BENCH_DIR, log, machine, median, now, QUICK, round, tempStore } from "./lib.js";

const LINES = QUICK ? 20_000 : 200_000;
const REPEATS = 3;
const BIN = resolve(BENCH_DIR, "..", "src", "cli", "main.js");

const CHILD = `
const n = Number(process.argv[2]);
let i = 0;
const chunk = 2000;
const go = () => {
  while (i < n) {
    let text = "";
    for (const end = Math.min(n, i + chunk); i < end; i++) text += '{"metrics": {"loss": ' + (1 / (i + 1)) + '}, "step": ' + i + '}\\n';
    if (!process.stdout.write(text)) return process.stdout.once("drain", go);
  }
};
go();
`;

function timed(file: string, args: string[], cwd: string): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = now();
    const p = spawn(file, args, { cwd, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUNELOG_RUN_ID: undefined } });
    p.stdout.resume();
    p.on("error", fail);
    p.on("close", (code) => (code === 0 ? done(now() - t0) : fail(new Error(`${file} exited with ${code}`))));
  });
}

async function inProcess(dir: string): Promise<number> {
  const tracker = new RuneLog(dir);
  const t0 = now();
  const run = await tracker.startRun({ logCode: false, logGitMeta: false });
  let pending: Array<Promise<void>> = [];
  for (let i = 0; i < LINES; i++) {
    pending.push(run.logMetric("loss", 1 / (i + 1), { step: i }));
    if (pending.length >= 8192) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await run.end();
  return now() - t0;
}

export async function execBench(): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const t0 = now();
  const store = tempStore("exec");
  const child = join(store.dir, "child.cjs");
  writeFileSync(child, CHILD);
  const raw: number[] = [];
  const exec: number[] = [];
  const inproc: number[] = [];
  try {
    for (let r = 0; r < REPEATS; r++) {
      raw.push(await timed(process.execPath, [child, String(LINES)], store.dir));
      const execDir = join(store.dir, `exec-${r}`);
      exec.push(await timed(process.execPath, [BIN, "exec", "--path", execDir, "--", process.execPath, child, String(LINES)], store.dir));
      inproc.push(await inProcess(join(store.dir, `inproc-${r}`)));
      log(`exec: round ${r + 1}: raw ${Math.round(raw.at(-1)!)} ms, exec ${Math.round(exec.at(-1)!)} ms, in-process ${Math.round(inproc.at(-1)!)} ms for ${LINES.toLocaleString("en")} metric lines`);
    }
    const check = new RuneLog(join(store.dir, "exec-0"));
    const [run] = await check.getExperimentRuns("0");
    const points = (await check.getMetricHistory(run!.runId, "loss")).length;
    if (points !== LINES) throw new Error(`exec logged ${points} points, expected ${LINES}`);
  } finally {
    store.remove();
  }
  const rate = (ms: number) => LINES / (ms / 1000);
  const execRate = rate(median(exec));
  const inprocRate = rate(median(inproc));
  const rawRate = rate(median(raw));
  const ratio = execRate / inprocRate;
  return {
    bench: "exec",
    quick: QUICK,
    machine: machine(),
    startedAt,
    durationMs: round(now() - t0),
    data: { lines: LINES, repeats: REPEATS, rawMs: raw.map((x) => round(x)), execMs: exec.map((x) => round(x)), inProcessMs: inproc.map((x) => round(x)), execLinesPerSec: Math.round(execRate), inProcessEventsPerSec: Math.round(inprocRate), rawLinesPerSec: Math.round(rawRate) },
    checks: [
      { bench: "exec", what: `exec rate vs in-process logMetric loop (${LINES.toLocaleString("en")} metric lines)`, measured: `${round(ratio)} ×`, target: "≥ 0.5 ×", pass: ratio >= 0.5 },
      { bench: "exec", what: "exec rate vs the child's raw output rate (pipe only)", measured: `${round(execRate / rawRate)} × raw`, target: "(info)", pass: true },
    ],
  };
}
