/** The group-commit queue shared by the journal backends (src/store/group-commit.ts). */
import { GroupCommit, type Group } from "../src/store/group-commit.js";

const writer = <T>(flush: (batch: Array<Group<T>>) => Promise<void>) => ({ flush, pauseMs: () => 0 });

test("an awaited loop over a flush that never waits for I/O still lets timers run", async () => {
  // A flush that completes at once, as the file writer's does when the lock is free.
  const written: number[] = [];
  const commits = new GroupCommit<number>(
    writer(async (batch) => {
      for (const group of batch) {
        written.push(...group.items);
        group.resolve();
      }
    }),
  );
  let timerFired = false;
  setTimeout(() => (timerFired = true), 1);
  let i = 0;
  const started = Date.now();
  while (!timerFired && Date.now() - started < 5_000) await commits.add([i++]);
  expect(timerFired).toBe(true);
  expect(written).toEqual(Array.from({ length: i }, (_, k) => k));
});

test("calls made in one turn share one batch and one promise; a conditional append gets its own", async () => {
  const batches: number[][] = [];
  const commits = new GroupCommit<string>(
    writer(async (batch) => {
      batches.push(batch.map((g) => g.items.length));
      for (const group of batch) group.resolve();
    }),
  );
  const a = commits.add(["a"]);
  const b = commits.add(["b"]);
  const c = commits.add(["c"], 7);
  const d = commits.add(["d"]);
  expect(a).toBe(b);
  expect(c).not.toBe(b);
  expect(d).not.toBe(c);
  await Promise.all([a, b, c, d]);
  expect(batches).toEqual([[2, 1, 1]]);
});
