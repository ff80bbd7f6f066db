/**
 * The contract every blob backend must pass (src/store/types.ts: BlobStore). A backend's spec calls
 * `describeBlobContract(name, makeHarness)`; `makeHarness` gives a fresh, empty store and a way to
 * open an independent one on the same storage. Exported for every backend's spec.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ArtifactNotFound, InvalidInput } from "../src/errors.js";
import type { BlobHolder, BlobStore } from "../src/store/types.js";

export interface BlobHarness {
  blobs: BlobStore;
  reopen(): BlobStore;
  cleanup(): Promise<void>;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const run = (runId: string, name: string) => ({ kind: "run" as const, runId, name });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error("expected a rejection"), (err: unknown) => err);
}

export function describeBlobContract(name: string, makeHarness: () => Promise<BlobHarness>): void {
  describe(`Blob contract: ${name}`, () => {
    let h: BlobHarness;
    let local: string;
    beforeEach(async () => {
      h = await makeHarness();
      local = mkdtempSync(join(tmpdir(), "runelog-blob-src-"));
    });
    afterEach(async () => {
      await h.cleanup();
      rmSync(local, { recursive: true, force: true });
    });

    test("put stores bytes by their sha256 and read gives them back, through any handle", async () => {
      const bytes = Buffer.from("some model weights \u00e9\n");
      const ref = await h.blobs.put({ bytes });
      expect(ref).toEqual({ sha256: sha(bytes), size: bytes.length });
      expect(await h.blobs.attach(ref.sha256, run("r1", "w.bin"))).toBe(true);
      expect(Buffer.compare(await h.blobs.read(ref.sha256), bytes)).toBe(0);
      expect(Buffer.compare(await h.reopen().read(ref.sha256), bytes)).toBe(0);
      expect(await h.blobs.put({ bytes: new Uint8Array(bytes) })).toEqual(ref); // same bytes: the same blob
    });

    test("put from a local file; a missing file is ArtifactNotFound, a folder InvalidInput", async () => {
      const file = join(local, "data.csv");
      const bytes = Buffer.from("a,b\n1,2\n".repeat(1000));
      writeFileSync(file, bytes);
      const ref = await h.blobs.put({ file });
      expect(ref).toEqual({ sha256: sha(bytes), size: bytes.length });
      await h.blobs.attach(ref.sha256, run("r1", "data.csv"));
      expect(Buffer.compare(await h.blobs.read(ref.sha256), bytes)).toBe(0);
      expect(await rejection(h.blobs.put({ file: join(local, "missing") }))).toBeInstanceOf(ArtifactNotFound);
      expect(await rejection(h.blobs.put({ file: local }))).toBeInstanceOf(InvalidInput);
    });

    test("attach of bytes never put (or gone) is false; read of them is ArtifactNotFound", async () => {
      const absent = sha(Buffer.from("never stored"));
      expect(await h.blobs.attach(absent, run("r1", "x"))).toBe(false);
      expect(await h.blobs.attach(absent, { kind: "registry" })).toBe(false);
      expect(await rejection(h.blobs.read(absent))).toBeInstanceOf(ArtifactNotFound);
    });

    test("a blob lives while any holder holds it, and goes with its last hold", async () => {
      const bytes = Buffer.from("shared bytes");
      const ref = await h.blobs.put({ bytes });
      const holders: BlobHolder[] = [run("r1", "a"), run("r2", "b"), { kind: "registry" }];
      for (const holder of holders) expect(await h.blobs.attach(ref.sha256, holder)).toBe(true);
      await h.blobs.detach([{ sha256: ref.sha256, holder: holders[0]! }]);
      expect(Buffer.compare(await h.blobs.read(ref.sha256), bytes)).toBe(0);
      await h.reopen().detach([{ sha256: ref.sha256, holder: holders[2]! }]);
      expect(Buffer.compare(await h.blobs.read(ref.sha256), bytes)).toBe(0);
      await h.blobs.detach([{ sha256: ref.sha256, holder: holders[1]! }]);
      expect(await rejection(h.blobs.read(ref.sha256))).toBeInstanceOf(ArtifactNotFound);
      expect(await h.blobs.attach(ref.sha256, run("r3", "c"))).toBe(false);
      // Putting the bytes again brings the blob back.
      expect(await h.blobs.put({ bytes })).toEqual(ref);
      expect(await h.blobs.attach(ref.sha256, run("r3", "c"))).toBe(true);
      expect(Buffer.compare(await h.blobs.read(ref.sha256), bytes)).toBe(0);
    });

    test("detaching nothing, or a hold twice, is harmless", async () => {
      await h.blobs.detach([]);
      const ref = await h.blobs.put({ bytes: Buffer.from("twice") });
      await h.blobs.attach(ref.sha256, run("r1", "a"));
      await h.blobs.attach(ref.sha256, run("r2", "a"));
      await h.blobs.detach([{ sha256: ref.sha256, holder: run("r1", "a") }]);
      await h.blobs.detach([{ sha256: ref.sha256, holder: run("r1", "a") }]);
      expect((await h.blobs.read(ref.sha256)).toString()).toBe("twice");
    });

    test("localPath: a file on this machine holding the holder's bytes, named as the artifact; without repair nothing is made", async () => {
      const bytes = Buffer.from("weights v1");
      const ref = await h.blobs.put({ bytes });
      const holder = run("r1", "model.bin");
      expect(await rejection(h.blobs.localPath(ref.sha256, holder, { repair: false }))).toBeInstanceOf(ArtifactNotFound);
      await h.blobs.attach(ref.sha256, holder);
      const path = await h.blobs.localPath(ref.sha256, holder, { repair: false });
      expect(basename(path)).toBe("model.bin");
      expect(Buffer.compare(readFileSync(path), bytes)).toBe(0);
      // Another holder of the same bytes that never attached them: repair makes the hold.
      const other = run("r2", "copy.bin");
      const repaired = await h.blobs.localPath(ref.sha256, other, { repair: true });
      expect(basename(repaired)).toBe("copy.bin");
      expect(Buffer.compare(readFileSync(repaired), bytes)).toBe(0);
      await h.blobs.detach([{ sha256: ref.sha256, holder }]);
      expect((await h.blobs.read(ref.sha256)).toString()).toBe("weights v1"); // r2 holds it now
      await h.blobs.detach([{ sha256: ref.sha256, holder: other }]);
      expect(await rejection(h.blobs.localPath(ref.sha256, other, { repair: true }))).toBeInstanceOf(ArtifactNotFound);
    });
  });
}
