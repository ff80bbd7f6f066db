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

/**
 * Runs a command under `sh`, whose `times` then prints the CPU time of everything it waited for:
 * wall and CPU milliseconds (CPU says more than wall on a machine shared with other work).
 */
function timed(file: string, args: string[], cwd: string): Promise<{ wall: number; cpu: number }> {
  const quoted = [file, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((done, fail) => {
    const t0 = now();
    const p = spawn("/bin/sh", ["-c", `${quoted} >/dev/null || exit 1; times >&2`], { cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, RUNELOG_RUN_ID: undefined } });
    let err = "";
    p.stderr.on("data", (b: Buffer) => (err += b.toString()));
    p.on("error", fail);
    p.on("close", (code) => {
      if (code !== 0) return fail(new Error(`${file} exited with ${code}: ${err}`));
      const children = err.trim().split("\n").at(-1)!.match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpu = children.reduce((sum, t) => {
        const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + (Number(m) * 60 + Number(sec)) * 1000;
      }, 0);
      done({ wall: now() - t0, cpu });
    });
  });
}

async function inProcess(dir: string): Promise<{ wall: number; cpu: number }> {
  const tracker = new RuneLog(dir);
  const t0 = now();
  const c0 = process.cpuUsage();
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
  const c = process.cpuUsage(c0);
  return { wall: now() - t0, cpu: (c.user + c.system) / 1000 };
}

export async function execBench(): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const t0 = now();
  const store = tempStore("exec");
  const child = join(store.dir, "child.cjs");
  writeFileSync(child, CHILD);
  const raw: Array<{ wall: number; cpu: number }> = [];
  const exec: Array<{ wall: number; cpu: number }> = [];
  const inproc: Array<{ wall: number; cpu: number }> = [];
  try {
    for (let r = 0; r < REPEATS; r++) {
      raw.push(await timed(process.execPath, [child, String(LINES)], store.dir));
      const execDir = join(store.dir, `exec-${r}`);
      exec.push(await timed(process.execPath, [BIN, "exec", "--path", execDir, "--", process.execPath, child, String(LINES)], store.dir));
      inproc.push(await inProcess(join(store.dir, `inproc-${r}`)));
      const show = (x: { wall: number; cpu: number }) => `${Math.round(x.wall)} ms (cpu ${Math.round(x.cpu)})`;
      log(`exec: round ${r + 1}: raw ${show(raw.at(-1)!)}, exec ${show(exec.at(-1)!)}, in-process ${show(inproc.at(-1)!)} for ${LINES.toLocaleString("en")} metric lines`);
    }
    const check = new RuneLog(join(store.dir, "exec-0"));
    const [run] = await check.getExperimentRuns("0");
    const points = (await check.getMetricHistory(run!.runId, "loss")).length;
    if (points !== LINES) throw new Error(`exec logged ${points} points, expected ${LINES}`);
  } finally {
    store.remove();
  }
  const rate = (ms: number) => LINES / (ms / 1000);
  const wall = (xs: Array<{ wall: number }>) => median(xs.map((x) => x.wall));
  const cpu = (xs: Array<{ cpu: number }>) => median(xs.map((x) => x.cpu));
  const ratio = rate(wall(exec)) / rate(wall(inproc));
  // exec's CPU includes the child's own printing: the raw run's CPU is taken off.
  const cpuRatio = cpu(inproc) / Math.max(1, cpu(exec) - cpu(raw));
  const ms = (xs: Array<{ wall: number; cpu: number }>) => xs.map((x) => ({ wall: round(x.wall), cpu: round(x.cpu) }));
  return {
    bench: "exec",
    quick: QUICK,
    machine: machine(),
    startedAt,
    durationMs: round(now() - t0),
    data: { lines: LINES, repeats: REPEATS, raw: ms(raw), exec: ms(exec), inProcess: ms(inproc), execLinesPerSec: Math.round(rate(wall(exec))), inProcessEventsPerSec: Math.round(rate(wall(inproc))), rawLinesPerSec: Math.round(rate(wall(raw))) },
    checks: [
      { bench: "exec", what: `exec rate vs in-process logMetric loop, wall clock (${LINES.toLocaleString("en")} metric lines)`, measured: `${round(ratio)} ×`, target: "≥ 0.5 ×", pass: ratio >= 0.5 },
      { bench: "exec", what: "the same in CPU time (exec and runelog's CPU, less the child's own printing)", measured: `${round(cpuRatio)} ×`, target: "(info)", pass: true },
      { bench: "exec", what: "exec rate vs the child's raw output rate (pipe only)", measured: `${round(rate(wall(exec)) / rate(wall(raw)))} × raw`, target: "(info)", pass: true },
    ],
  };
}
