/** Running the built `runelog` bin from tests. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";

export const BIN = resolve(__dirname, "..", "..", "dist", "src", "cli", "main.js");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user's script would give the bin: no colours, no terminal width, no store or run handed over. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", COLUMNS: undefined, RUNELOG_PATH: undefined, RUNELOG_RUN_ID: undefined, ...extra } as NodeJS.ProcessEnv;
}

/** Runs the bin with stdin not a terminal (as from a script or CI); never rejects. */
export function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), encoding: "utf8" }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** An error the way the CLI must report it: exit 1, one line on stderr starting "runelog: ", no stack. */
export function expectOneLineError(r: Result, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^runelog: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
