/**
 * A store for the browser tests, beside the demo's: nested runs, a param logged twice, NaN and
 * ±Infinity points, a 5,000-point series (bucketed by the server), artifacts of every kind the run
 * page renders, and a run whose process died (KILLED).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path"; // resolve: from the repository root, where the tests run
import { deflateSync, crc32 } from "node:zlib";
import { RuneLog } from "../../src/index.js";

export const EXTRAS = "ui-extras";

/** A w×h RGB PNG with a diagonal gradient: a real image for the artifact viewer. */
export function tinyPng(w = 24, h = 16): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / h; raw[o + 2] = 160;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

export interface UiStore { parentRunId: string; childRunIds: string[]; oddRunId: string; killedRunId: string }

export async function makeUiStore(dir: string, files: string): Promise<UiStore> {
  const tracker = new RuneLog(dir);
  writeFileSync(join(files, "confusion.png"), tinyPng());
  writeFileSync(join(files, "summary.json"), JSON.stringify({ accuracy: 0.93, classes: ["a", "b"] }));
  writeFileSync(join(files, "predictions.csv"), "id,label,score\n1,a,0.91\n2,b,0.12\n");
  writeFileSync(join(files, "notes.txt"), "trained on the seeded data\n");
  writeFileSync(join(files, "weights.bin"), Buffer.from([0, 1, 2, 3, 254, 255]));

  const options = { experimentName: EXTRAS, logGitMeta: false, logCode: false };
  const childRunIds: string[] = [];
  const parentRunId = await tracker.startRun({ ...options, tags: { runName: "sweep-parent" } }, async (parent) => {
    await parent.logParam("sweep", "grid");
    for (const lr of [0.1, 0.01]) {
      await tracker.startRun({ ...options, tags: { runName: `child-lr-${lr}` } }, async (child) => {
        childRunIds.push(child.runId);
        await child.logParam("lr", lr);
        for (let step = 0; step < 20; step++) await child.logMetric("loss", 1 / (1 + step * lr * 10), { step });
      });
    }
    return parent.runId;
  });

  const oddRunId = await tracker.startRun({ ...options, tags: { runName: "odd-values" } }, async (run) => {
    await run.logParam("lr", 0.1);
    await run.logParam("lr", 0.05);
    await run.logParam("optimizer", "adam");
    const points: Promise<void>[] = [];
    for (let step = 0; step < 5000; step++) {
      const v = step === 1200 ? NaN : step === 2500 ? Infinity : step === 3700 ? -Infinity : Math.exp(-step / 1500) + (step === 4000 ? 3 : 0) + 0.02 * Math.sin(step / 7);
      points.push(run.logMetric("loss", v, { step }));
    }
    await Promise.all(points);
    await run.logMetric("accuracy", 0.93);
    for (const f of ["confusion.png", "summary.json", "predictions.csv", "notes.txt", "weights.bin"]) await run.logArtifact(join(files, f), { name: f });
    return run.runId;
  });

  // A run whose process ended without ending it: KILLED.
  const script = `import { RuneLog } from ${JSON.stringify(resolve("dist", "src", "index.js"))};
const t = new RuneLog(${JSON.stringify(dir)});
const run = await t.startRun(${JSON.stringify({ ...options, tags: { runName: "died" } })});
await run.logMetric("loss", 0.7, { step: 0 });
console.log(run.runId);
process.exit(0);`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  if (child.status !== 0) throw new Error(`the dying run's process failed: ${child.stderr}`);
  return { parentRunId, childRunIds, oddRunId, killedRunId: child.stdout.trim() };
}
