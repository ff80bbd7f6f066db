/**
 * Deleting a blob must not race a concurrent store of the same bytes. Real processes put the same
 * bytes, attach them, read them while they hold them, and detach, all at once: a remover that
 * judged the blob unheld (nlink 1) must not unlink it after another process linked it.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir, workerScript } from "./workers/crash-harness.js";

jest.setTimeout(120_000);

interface Result {
  rounds: number;
  lost: number;
}

async function race(dir: string, workers: number, rounds: number): Promise<Result[]> {
  const script = workerScript(__dirname, "blob-racer");
  const children = Array.from({ length: workers }, (_, w) => spawn(process.execPath, [script, dir, String(w), String(rounds)], { stdio: ["pipe", "pipe", "pipe"] }));
  const results = children.map(
    (child) =>
      new Promise<Result>((resolve, reject) => {
        let result: Result | undefined;
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        createInterface({ input: child.stdout }).on("line", (line) => {
          const msg = JSON.parse(line);
          if (msg.ready) ready();
          else result = msg;
        });
        child.on("exit", (code) => (code === 0 && result ? resolve(result) : reject(new Error(`worker exited ${code}: ${stderr}`))));
      }),
  );
  let waiting = workers;
  const go = () => children.forEach((c) => c.stdin.end("go\n"));
  function ready() {
    if (--waiting === 0) go();
  }
  return Promise.all(results);
}

let dir: string;
beforeEach(() => (dir = tempDir("runelog-blob-race-")));
afterEach(() => removeDir(dir));

test("4 processes attaching and detaching the same bytes never lose the blob one of them holds", async () => {
  const results = await race(dir, 4, 800);
  expect(results.map((r) => r.rounds)).toEqual([800, 800, 800, 800]);
  expect(results.map((r) => r.lost)).toEqual([0, 0, 0, 0]);
  // Every hold was dropped, so nothing holds the blob and it is gone.
  const shards = readdirSync(join(dir, ".runelog", "blobs"));
  expect(shards.flatMap((s) => readdirSync(join(dir, ".runelog", "blobs", s)))).toEqual([]);
});
