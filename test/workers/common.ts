/** Shared by the worker scripts: a start barrier and JSON output. */

/** Says `{"ready":true}` and waits for one line on stdin, so a test can start many workers at the same moment. */
export async function waitForGo(): Promise<void> {
  emit({ ready: true });
  await new Promise<void>((resolve) => {
    process.stdin.once("data", () => {
      process.stdin.destroy(); // nothing else may keep the process alive
      resolve();
    });
  });
}

export function emit(message: unknown): void {
  process.stdout.write(JSON.stringify(message) + "\n");
}

export function argv(index: number, name: string): string {
  const value = process.argv[2 + index];
  if (value === undefined) {
    process.stderr.write(`missing argument ${index} (${name})\n`);
    process.exit(2);
  }
  return value;
}

/** Runs main; any failure is printed and exits with 1. */
export function main(fn: () => Promise<void>): void {
  fn().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
