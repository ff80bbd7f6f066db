/** `runelog ui` as a real process: one printed line with the URL, a working server, and a prompt exit on SIGINT / SIGTERM. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { BIN, cli, cliEnv, expectOneLineError } from "./helpers/cli.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";

let store: TestStore;
const children: ChildProcess[] = [];
beforeEach(() => (store = openStore("runelog-ui-cli-")));
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  store.done();
});

/** Starts `runelog ui`, resolves with the child and its first stdout line. */
function start(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; line: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, "ui", "--path", store.dir, ...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, line: out.slice(0, nl), output: () => out });
    });
    child.on("exit", (code) => reject(new Error(`runelog ui exited (${code}) before printing its URL: ${err}`)));
  });
}

/** Resolves with the exit code once the child has exited; fails the test if it lingers (a hang, not a speed check). */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("runelog ui did not exit after the signal")), 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`prints exactly one line with the real port (--port 0) and the fixed token; serves; exits on ${signal} even with a client streaming`, async () => {
    const run = await store.tracker.startRun({ experimentName: "cli", ...QUIET });
    await run.end();
    const { child, line, output } = await start(["--port", "0"], { RUNELOG_UI_TOKEN: "fixed-token" });
    const m = /^runelog ui: http:\/\/127\.0\.0\.1:(\d+)\/\?token=fixed-token$/.exec(line);
    expect(m).not.toBeNull();
    const port = Number(m![1]);
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: "Bearer fixed-token" };
    const experiments = (await (await fetch(`${base}/api/experiments`, { headers: auth })).json()) as Array<{ name: string }>;
    expect(experiments.map((e) => e.name)).toEqual(["Default", "cli"]);
    const landing = await fetch(`${base}/?token=fixed-token`, { redirect: "manual" });
    expect(landing.status).toBe(302);
    expect((await fetch(`${base}/api/experiments`)).status).toBe(401);
    // an open event stream must not keep the server alive
    const stream = await fetch(`${base}/api/stream`, { headers: auth });
    const reader = stream.body!.getReader();
    await reader.read();
    child.kill(signal);
    expect(await exited(child)).toBe(0);
    await reader.cancel().catch(() => {});
    expect(output()).toBe(`${line}\n`);
  });
}

test("--read-only refuses writes; a port in use is one line on stderr", async () => {
  const { child, line } = await start(["--port", "0", "--read-only"], { RUNELOG_UI_TOKEN: "t" });
  const port = Number(/:(\d+)\//.exec(line)![1]);
  const res = await fetch(`http://127.0.0.1:${port}/api/models/x/aliases/y`, { method: "PUT", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: "{}" });
  expect(res.status).toBe(403);
  child.kill("SIGINT");
  await exited(child);

  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  try {
    const taken = (busy.address() as { port: number }).port;
    expectOneLineError(await cli(["ui", "--path", store.dir, "--port", String(taken)]), /port \d+ on 127\.0\.0\.1 is in use/);
    expectOneLineError(await cli(["ui", "--path", store.dir, "--port", "http"]), /--port must be a whole number/);
  } finally {
    busy.close();
  }
});

test("without RUNELOG_UI_TOKEN the token is random per start", async () => {
  const a = await start(["--port", "0"], { RUNELOG_UI_TOKEN: "" });
  const b = await start(["--port", "0"], { RUNELOG_UI_TOKEN: "" });
  const token = (line: string) => /\?token=(.+)$/.exec(line)![1]!;
  expect(token(a.line).length).toBeGreaterThanOrEqual(24);
  expect(token(a.line)).not.toBe(token(b.line));
  a.child.kill("SIGINT");
  b.child.kill("SIGINT");
  await Promise.all([exited(a.child), exited(b.child)]);
});
