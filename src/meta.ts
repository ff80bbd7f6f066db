/** What a run records about where it ran: git state, Node and packages, the entry script. Never prints. */
import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { EnvMeta, GitMeta } from "./events.js";

export const HOST = hostname();

function git(args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd: process.cwd(), timeout: 5000, windowsHide: true }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
}

/** Commit, branch and dirty state of the working directory's repository; null outside one (or without git). */
export async function gitMeta(): Promise<GitMeta | null> {
  const [commit, branch, status] = await Promise.all([
    git(["rev-parse", "HEAD"]),
    git(["rev-parse", "--abbrev-ref", "HEAD"]),
    git(["status", "--porcelain", "--untracked-files=no"]),
  ]);
  if (!commit) return null;
  return { commit, branch: branch && branch !== "HEAD" ? branch : null, dirty: (status ?? "") !== "" };
}

/** Node version, platform, and the packages installed in the working directory's node_modules. */
export async function envMeta(): Promise<EnvMeta> {
  return { node: process.version, platform: process.platform, arch: process.arch, packages: await installedPackages(join(process.cwd(), "node_modules")) };
}

async function installedPackages(dir: string): Promise<Record<string, string>> {
  const packages: Record<string, string> = {};
  const names = await readdir(dir).catch(() => [] as string[]);
  const expanded = await Promise.all(
    names.filter((n) => !n.startsWith(".")).map(async (n) => (n.startsWith("@") ? (await readdir(join(dir, n)).catch(() => [] as string[])).map((s) => `${n}/${s}`) : [n])),
  );
  await Promise.all(
    expanded.flat().map(async (name) => {
      try {
        const pkg = JSON.parse(await readFile(join(dir, name, "package.json"), "utf8"));
        if (typeof pkg.version === "string") packages[name] = pkg.version;
      } catch {
        // not a package
      }
    }),
  );
  return Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The script this process was started with, if it is a file. */
export async function entryScript(): Promise<string | null> {
  const script = process.argv[1];
  if (!script) return null;
  const info = await stat(script).catch(() => null);
  return info?.isFile() ? script : null;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
