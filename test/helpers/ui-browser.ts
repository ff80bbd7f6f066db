/** For the browser tests and bench/ui-browser.ts: the built `runelog ui` in a child process, and Debian's Chromium. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";

export const CHROMIUM = process.env.RUNELOG_TEST_CHROMIUM ?? "/usr/lib/chromium/chromium";
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (install Debian's chromium, or set RUNELOG_TEST_CHROMIUM)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface UiServer {
  /** The printed URL, token included. */
  url: string;
  /** The URL without the token. */
  base: string;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `runelog ui --port 0` on `storeDir` and resolves with the URL it prints. */
export function startUi(storeDir: string, { readOnly = false, token = "browser-test-token" } = {}): Promise<UiServer> {
  const bin = resolve("dist", "src", "cli", "main.js");
  const args = [bin, "ui", "--path", storeDir, "--port", "0", ...(readOnly ? ["--read-only"] : [])];
  const child = spawn(process.execPath, args, { env: { ...process.env, RUNELOG_UI_TOKEN: token, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => { void stop(); reject(new Error(`runelog ui printed no URL in 30 s: ${out}${err}`)); }, 30_000);
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /runelog ui: (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      const u = new URL(url);
      resolvePromise({ url, base: u.origin, token: u.searchParams.get("token") ?? "", child, stop });
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`runelog ui exited with ${code}: ${err}`)); });
  });
}
