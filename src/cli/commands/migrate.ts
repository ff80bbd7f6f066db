/** runelog migrate FROM TO: copy a store (folder or postgres:// URL) into an empty one, then verify the copy. */
import { Command } from "commander";
import { isDatabaseUrl, migrate } from "../../tracker.js";
import { CliError, globals, printJson } from "../context.js";
import { plural, style } from "../format.js";
import { Progress } from "../progress.js";

/** A URL as people may see it: without its password. */
function shown(path: string): string {
  if (!isDatabaseUrl(path)) return path;
  try {
    const url = new URL(path);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<url>";
  }
}

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("copy a store into an empty one (folder ↔ postgres:// URL), keeping event ids, times and order; then verify the copy")
    .argument("<from>", "the store to copy: a folder holding .runelog/, or a postgres:// URL")
    .argument("<to>", "an empty store: a folder, or a postgres://…?schema=… URL")
    .addHelpText("after", "\nExamples:\n  runelog migrate . postgres://me:secret@db:5432/ml?schema=runelog\n  runelog migrate postgres://me:secret@db:5432/ml ./backup")
    .action(async (from: string, to: string, _opts: unknown, command: Command) => {
      let progress: Progress | null = null;
      let result;
      try {
        result = await migrate(from, to, (done, total, stream) => {
          progress ??= new Progress({ label: "copying events", total, delayMs: 200 });
          progress.update(done, stream);
        });
      } finally {
        (progress as Progress | null)?.stop();
      }
      if (result.events === 0) throw new CliError(`nothing to migrate: ${shown(from)} holds no events`);
      if (globals(command).json) return printJson({ streams: result.streams, events: result.events, blobs: result.blobs, ok: result.verify.ok });
      console.log(`copied ${plural(result.events, "event")} in ${plural(result.streams, "journal")} and ${plural(result.blobs, "blob")} to ${shown(to)}`);
      if (!result.verify.ok) throw new CliError(`the copy does not verify: run runelog verify --path ${shown(to)}`);
      console.log(`verify: ${style.green("ok")}`);
    });
}
