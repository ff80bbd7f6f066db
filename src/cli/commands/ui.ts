/** `runelog ui`: serves the web UI and its HTTP API until Ctrl-C. */
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { RuneLog } from "../../index.js";
import { startUiServer } from "../../ui/server/serve.js";
import { CliError, globals } from "../context.js";

export function uiCommand(): Command {
  return new Command("ui")
    .description("serve the web UI (experiments, runs, charts, registry, history) on this machine")
    .option("--host <address>", "address to bind (loopback by default; anything else exposes your store to the network)", "127.0.0.1")
    .option("--port <n>", "port to listen on; 0 picks a free one", "5000")
    .option("--read-only", "refuse every change (registering, aliases, tags)")
    .addHelpText("after", "\nPrints one URL with a token: open it. RUNELOG_UI_TOKEN fixes the token. Docs: docs/ui.md")
    .action(async (opts: { host: string; port: string; readOnly?: boolean }, cmd: Command) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new CliError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(opts.port)}`);
      const server = await startUiServer({
        tracker: new RuneLog(globals(cmd).path),
        host: opts.host,
        port,
        readOnly: Boolean(opts.readOnly),
        staticDir: builtUi(),
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") throw new CliError(`port ${port} on ${opts.host} is in use; pass --port N, or --port 0 for a free one`);
        if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") throw new CliError(`cannot listen on ${opts.host}: no such address on this machine`);
        throw err;
      });
      process.stdout.write(`runelog ui: ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}

/** dist/ui beside this package's built CLI (dist/src/cli/main.js → dist/ui), if it was built. */
function builtUi(): string | undefined {
  try {
    const dir = join(dirname(realpathSync(process.argv[1] ?? "")), "..", "..", "ui");
    return existsSync(join(dir, "index.html")) ? dir : undefined;
  } catch {
    return undefined;
  }
}
