/**
 * node crash-lockholder.js <journalFile> <staleMs>
 *
 * Takes the journal's lock as runelog's writers did before issue 8 (proper-lockfile's mkdir lock on
 * the journal file, realpath off; today's writers still respect it, judged by its mtime lease),
 * prints {"locked":pid}, and then holds it —
 * a live holder: proper-lockfile's own timer keeps refreshing the lock every staleMs / 2 — until the
 * test SIGKILLs it, after which nobody refreshes it and it goes stale.
 */
import lockfile from "proper-lockfile";

const [file, staleText] = process.argv.slice(2);
if (!file || !staleText) {
  process.stderr.write("usage: crash-lockholder <journalFile> <staleMs>\n");
  process.exit(2);
}

async function main(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await lockfile.lock(file!, {
        stale: Number(staleText),
        retries: 0,
        realpath: false,
        onCompromised: (err) => process.stderr.write(`lock compromised: ${err.message}\n`),
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED" || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 10));
    }
  }
  process.stdout.write(JSON.stringify({ locked: process.pid }) + "\n");
  setInterval(() => {}, 1 << 30); // stay alive until killed
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
