/**
 * runelog exec and runelog ingest, run as a user would (the built bin, real child processes):
 * pass-through bytes and order, bad records, exit codes, signals, large output, a child that dies
 * mid-line, a Python child and a Node child that logs into the same run.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuneLog } from "../src/index.js";
import { BIN, cli, cliEnv } from "./helpers/cli.js";
import { removeDir, tempDir } from "./helpers/store.js";

const ROOT = resolve(__dirname, "..");
const PYTHON = "/usr/bin/python3";

interface Raw {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the bin, collecting stdout as bytes. `onStart` may signal the process. */
function execBin(args: string[], cwd: string, onStart?: (pid: number, stdout: NodeJS.ReadableStream) => void, input?: string): Promise<Raw> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    onStart?.(child.pid!, child.stdout);
    child.on("close", (code, signal) => done({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
}

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-exec-");
});
afterEach(() => removeDir(dir));

function script(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function onlyRun(experiment = "0") {
  const tracker = new RuneLog(dir);
  const runs = await tracker.getExperimentRuns(experiment);
  expect(runs).toHaveLength(1);
  return { tracker, details: (await tracker.getRunDetails(runs[0]!.runId))! };
}

describe("runelog exec", () => {
  test("records are logged; every other byte (bad UTF-8, CR LF, JSON that is not a record, a last line without newline) comes out unchanged and in order", async () => {
    const lines: Buffer[] = [
      Buffer.from("hello\n"),
      Buffer.from('{"params": {"lr": 0.01, "optimizer": "adam"}}\n'),
      Buffer.from([0xff, 0xfe, 0x41, 0x0d, 0x0a]),
      Buffer.from('{"metrics": {"loss": 0.31, "acc": 0.87}, "step": 3}\n'),
      Buffer.from('{"not": "a record"}\n'),
      Buffer.from('  {"tags": {"stage": "warmup"}}\r\n'),
      Buffer.from("\n"),
      Buffer.from('{"metrics": {"loss": 0.2}, "epoch": 4}\n'),
      Buffer.from('{"metrics": {"loss": 0.25}, "step": 4}\n'),
      Buffer.from("the end, no newline"),
    ];
    const all = Buffer.concat(lines);
    const child = script("child.cjs", `process.stdout.write(Buffer.from(${JSON.stringify(all.toString("base64"))}, "base64"));`);
    const r = await execBin(["exec", "--experiment", "t", "--tag", "who=test", "--", process.execPath, child], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const expected = Buffer.concat([lines[0]!, lines[2]!, lines[4]!, lines[6]!, lines[7]!, lines[9]!]);
    expect(r.stdout.equals(expected)).toBe(true);
    const { details } = await onlyRun("1");
    expect(details.status).toBe("FINISHED");
    expect(details.params).toEqual({ lr: 0.01, optimizer: "adam" });
    expect(details.metrics).toEqual({ loss: 0.25, acc: 0.87 });
    expect(details.metricHistory.loss!.map((p) => p.step)).toEqual([3, 4]);
    expect(details.tags).toMatchObject({ stage: "warmup", who: "test" });
  });

  test("a record with a bad value logs nothing of itself and is reported with its line number; the run goes on", async () => {
    const child = script(
      "bad.cjs",
      [
        `console.log(JSON.stringify({ params: { a: 1 }, metrics: { loss: "high" } }));`,
        `console.log(JSON.stringify({ tags: { ["bad\\u0001key"]: "x" } }));`,
        `console.log(JSON.stringify({ params: { b: 2 }, artifacts: ["missing.txt"] }));`,
        `console.log(JSON.stringify({ metrics: { loss: 1 }, step: 1.5 }));`,
        `console.log(JSON.stringify({ metrics: { loss: 0.5 }, step: 2 }));`,
      ].join("\n"),
    );
    const r = await execBin(["exec", "--", process.execPath, child], dir);
    expect(r.code).toBe(0);
    const errs = r.stderr.trim().split("\n");
    expect(errs).toHaveLength(4);
    expect(errs[0]).toMatch(/^runelog: line 1: .*metrics\.loss.*must be a number/);
    expect(errs[1]).toMatch(/^runelog: line 2: .*control characters/);
    expect(errs[2]).toMatch(/^runelog: line 3: artifact not found: missing\.txt/);
    expect(errs[3]).toMatch(/^runelog: line 4: .*step/);
    const { details } = await onlyRun();
    expect(details.params).toEqual({});
    expect(details.tags).toEqual({});
    expect(details.metricHistory).toEqual({ loss: [expect.objectContaining({ value: 0.5, step: 2 })] });
    expect(details.status).toBe("FINISHED");
  });

  test("artifacts are paths relative to the command's working directory", async () => {
    writeFileSync(join(dir, "out.txt"), "artifact bytes");
    const child = script("art.cjs", `console.log(JSON.stringify({ artifacts: ["out.txt"] })); console.log(JSON.stringify({ metrics: { m: 1 } }));`);
    const r = await execBin(["exec", "--", process.execPath, child], dir);
    expect(r.stderr).toBe("");
    const { tracker, details } = await onlyRun();
    expect(details.artifacts).toEqual(["out.txt"]);
    expect(await tracker.loadModel(details.runId, "out.txt")).toEqual(Buffer.from("artifact bytes"));
  });

  test.each([
    ["exit 0", "process.exit(0)", 0, "FINISHED"],
    ["exit 3", "process.exit(3)", 3, "FAILED"],
    ["SIGKILL", "process.kill(process.pid, 'SIGKILL')", 137, "KILLED"],
    ["SIGTERM", "process.kill(process.pid, 'SIGTERM')", 143, "KILLED"],
  ])("%s: exec exits with the command's code and the run ends accordingly", async (_name, how, code, status) => {
    const child = script("exit.cjs", `process.stdout.write(JSON.stringify({ metrics: { before: 1 } }) + "\\n", () => { ${how}; });`);
    const r = await execBin(["exec", "--", process.execPath, child], dir);
    expect(r.code).toBe(code);
    const { details } = await onlyRun();
    expect(details.status).toBe(status);
    expect(details.metrics).toEqual({ before: 1 });
  });

  test("a command that does not exist: exit 127, one line on stderr, the run FAILED", async () => {
    const r = await execBin(["exec", "--", "/no/such/command"], dir);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^runelog: cannot run "\/no\/such\/command": no such command\n$/);
    expect((await onlyRun()).details.status).toBe("FAILED");
  });

  test("SIGINT and SIGTERM sent to exec reach the command; what it printed before is logged; the run ends KILLED", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const sub = join(dir, signal);
      mkdirSync(sub);
      const child = script(`${signal}.cjs`, `let i = 0; setInterval(() => console.log(JSON.stringify({ metrics: { tick: i } , step: i++ })), 5);`);
      const journal = join(sub, ".runelog", "experiments", "0.ndjson");
      const r = await execBin(["exec", "--path", sub, "--", process.execPath, child], dir, (pid) => {
        const poll = setInterval(() => {
          let text = "";
          try {
            text = readFileSync(journal, "utf8");
          } catch {
            return; // not written yet
          }
          if ((text.match(/MetricsLogged/g) ?? []).length >= 3) {
            clearInterval(poll);
            process.kill(pid, signal);
          }
        }, 20);
      });
      expect(r.code).toBe(signal === "SIGINT" ? 130 : 143);
      const tracker = new RuneLog(sub);
      const [run] = await tracker.getExperimentRuns("0");
      const details = (await tracker.getRunDetails(run!.runId))!;
      expect(details.status).toBe("KILLED");
      const ticks = details.metricHistory.tick!.map((p) => p.value);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks).toEqual(ticks.map((_, i) => i)); // none lost, none out of order
    }
  });

  test("100 MB of plain output passes through unchanged", async () => {
    const child = script(
      "big.cjs",
      `const line = Buffer.from("x".repeat(1023) + "\\n"); const block = Buffer.concat(Array(1024).fill(line)); let n = 0;
       const go = () => { while (n < 100) { n++; if (!process.stdout.write(block)) return process.stdout.once("drain", go); } process.stdout.write(JSON.stringify({ metrics: { done: 1 } }) + "\\n"); };
       go();`,
    );
    const hash = createHash("sha256");
    let bytes = 0;
    const code = await new Promise<number | null>((done) => {
      const p = spawn(process.execPath, [BIN, "exec", "--", process.execPath, child], { cwd: dir, env: cliEnv(), stdio: ["ignore", "pipe", "inherit"] });
      p.stdout.on("data", (b: Buffer) => {
        bytes += b.length;
        hash.update(b);
      });
      p.on("close", done);
    });
    expect(code).toBe(0);
    expect(bytes).toBe(100 * 1024 * 1024);
    const expected = createHash("sha256");
    const block = Buffer.concat(Array(1024).fill(Buffer.from("x".repeat(1023) + "\n")));
    for (let i = 0; i < 100; i++) expected.update(block);
    expect(hash.digest("hex")).toBe(expected.digest("hex"));
    expect((await onlyRun()).details.metrics).toEqual({ done: 1 });
  });

  test("a child that dies mid-line: every whole record is logged, the cut line is passed through as it is", async () => {
    const child = script(
      "torn.cjs",
      `const fs = require("fs"); fs.writeSync(1, JSON.stringify({ metrics: { a: 1 }, step: 1 }) + "\\n" + JSON.stringify({ metrics: { a: 2 }, step: 2 }) + "\\n{\\"metrics\\": {\\"a\\": 3"); process.kill(process.pid, "SIGKILL");`,
    );
    const r = await execBin(["exec", "--", process.execPath, child], dir);
    expect(r.code).toBe(137);
    expect(r.stdout.toString()).toBe('{"metrics": {"a": 3');
    const { details } = await onlyRun();
    expect(details.metricHistory.a!.map((p) => p.value)).toEqual([1, 2]);
    expect(details.status).toBe("KILLED");
  });

  test("a Python child (json.dumps with NaN and Infinity) and examples/train.py", async () => {
    const child = script("nan.py", `import json\nprint(json.dumps({"metrics": {"loss": float("nan"), "g": float("inf"), "h": float("-inf")}, "step": 1}))\nprint("plain")\n`);
    const r = await execBin(["exec", "--", PYTHON, child], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout.toString()).toBe("plain\n");
    const { details } = await onlyRun();
    expect(details.metrics.loss).toBeNaN();
    expect(details.metrics.g).toBe(Infinity);
    expect(details.metrics.h).toBe(-Infinity);

    const t = await execBin(["exec", "--experiment", "py", "--", PYTHON, join(ROOT, "examples", "train.py")], dir);
    expect(t.code).toBe(0);
    expect(t.stdout.toString()).toMatch(/^training a toy model\nepoch 5: loss/);
    const list = await cli(["runs", "list", "py"], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/FINISHED/);
    expect(list.stdout).toMatch(/loss/);
    const py = await onlyRun("1");
    expect(py.details.params).toEqual({ lr: 0.05, epochs: 20, optimizer: "sgd" });
    expect(py.details.metricHistory.loss).toHaveLength(20);
    expect(py.details.tags).toMatchObject({ stage: "done" });
  });

  test("examples/train.sh through exec", async () => {
    const r = await execBin(["exec", "--experiment", "sh", "--", "sh", join(ROOT, "examples", "train.sh")], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.toString().split("\n").filter(Boolean)).toEqual(Array.from({ length: 10 }, (_, i) => `step ${i + 1} done`));
    const { details } = await onlyRun("1");
    expect(details.params).toEqual({ batch: 32, shell: "sh" });
    expect(details.metricHistory.loss!.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("a Node child that calls startRun() logs into the same run, seeing RUNELOG_RUN_ID, RUNELOG_PATH and RUNELOG_EXPERIMENT_ID", async () => {
    const index = join(ROOT, "dist", "src", "index.js");
    const child = script(
      "resume.mjs",
      `import { RuneLog } from ${JSON.stringify(index)};
       console.log(JSON.stringify({ metrics: { printed: 1 } }));
       const tracker = new RuneLog();
       await tracker.startRun({ logCode: false, logGitMeta: false }, async (run) => {
         await run.logMetric("inproc", 2);
         await run.setTags({ env_exp: process.env.RUNELOG_EXPERIMENT_ID, env_run: process.env.RUNELOG_RUN_ID === run.runId ? "same" : "other" });
       });
       console.log(JSON.stringify({ metrics: { printed: 3 } }));`,
    );
    const r = await execBin(["exec", "--experiment", "node", "--", process.execPath, child], join(dir));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { details } = await onlyRun("1");
    expect(details.metrics).toEqual({ printed: 3, inproc: 2 });
    expect(details.tags).toMatchObject({ env_exp: "1", env_run: "same" });
    expect(details.status).toBe("FINISHED");
  });
});

describe("runelog ingest", () => {
  test("from a file into a new run that ends FINISHED; other lines pass through", async () => {
    const file = script("lines.ndjson", '{"params": {"p": 1}}\nplain\n{"metrics": {"m": NaN}, "step": 2}\n');
    const r = await execBin(["ingest", "--experiment", "ing", file], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("plain\n");
    const { details } = await onlyRun("1");
    expect(details.status).toBe("FINISHED");
    expect(details.params).toEqual({ p: 1 });
    expect(details.metrics.m).toBeNaN();
  });

  test("--run logs into an existing run from stdin and leaves a RUNNING run RUNNING", async () => {
    const tracker = new RuneLog(dir);
    const run = await tracker.startRun({ logCode: false, logGitMeta: false });
    const r = await execBin(["ingest", "--run", run.runId], dir, undefined, '{"metrics": {"m": 1}}\n{"metrics": {"m": "x"}}\n');
    expect(r.stderr).toMatch(/^runelog: line 2: .*metrics\.m/);
    expect(r.code).toBe(1);
    const details = (await new RuneLog(dir).getRunDetails(run.runId))!;
    expect(details.status).toBe("RUNNING");
    expect(details.metrics).toEqual({ m: 1 });
    await run.end();
  });

  test("an unknown run or file: one line, exit 1", async () => {
    const a = await cli(["ingest", "--run", "nope", join(dir, "missing")], { cwd: dir });
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^runelog: no such file/);
    await new RuneLog(dir).getOrCreateExperiment("e");
    const b = await execBin(["ingest", "--path", dir, "--run", "01NOPE"], dir, undefined, "");
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^runelog: run not found: 01NOPE\n$/);
  });
});
