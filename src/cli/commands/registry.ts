/** runelog registry register | list | versions | tag | alias */
import { Command } from "commander";
import { ModelNotFound, type RuneLog, type ModelVersion } from "../../index.js";
import { collect, globals, keyValues, openTracker, printJson } from "../context.js";
import { fields, formatTime, table } from "../format.js";

export function registryCommand(): Command {
  const cmd = new Command("registry").alias("models").description("the model registry: register run artifacts as versioned models, tag them, point aliases at them");

  cmd
    .command("register <run> <artifact> <model>")
    .description("register a run's artifact as the next version of a model")
    .option("-t, --tag <key=value>", "a tag for the new version (repeatable)", collect)
    .action(async (runId: string, artifact: string, model: string, opts: { tag?: string[] }, command: Command) => {
      const tags = keyValues(opts.tag, "--tag");
      const tracker = await openTracker(command);
      const version = await tracker.registerModel(runId, artifact, model, tags);
      if (globals(command).json) return printJson({ modelName: model, version, sourceRunId: runId, artifactName: artifact, tags });
      console.log(`registered ${model} version ${version} (artifact "${artifact}" of run ${runId})`);
    });

  cmd
    .command("list")
    .alias("ls")
    .description("list registered models with their latest version and aliases")
    .action(async (_opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const models = await Promise.all(
        (await tracker.listRegisteredModels()).map(async (name) => {
          const versions = await tracker.getModelVersions(name);
          const latest = versions[0] ?? null;
          const aliases: Record<string, string> = {};
          for (const v of versions) for (const a of v.aliases) aliases[a] = v.version;
          return { name, latestVersion: latest?.version ?? null, versions: versions.length, lastRegistered: latest?.registeredAt ?? null, aliases };
        }),
      );
      if (globals(command).json) return printJson(models);
      console.log(
        table(
          [{ header: "model", keep: true }, { header: "latest", align: "right" }, { header: "versions", align: "right" }, { header: "registered" }, { header: "aliases" }],
          models.map((m) => [m.name, m.latestVersion ?? "", String(m.versions), formatTime(m.lastRegistered), Object.entries(m.aliases).map(([a, v]) => `@${a}→${v}`).join(" ")]),
        ),
      );
    });

  cmd
    .command("versions <model>")
    .description("list a model's versions, newest first")
    .action(async (model: string, _opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const versions = await requireVersions(tracker, model);
      if (globals(command).json) return printJson(versions);
      console.log(
        table(
          [{ header: "version", align: "right", keep: true }, { header: "registered" }, { header: "source run", keep: true }, { header: "artifact" }, { header: "aliases" }, { header: "tags" }],
          versions.map((v) => [v.version, formatTime(v.registeredAt), v.sourceRunId, v.artifactName, v.aliases.map((a) => `@${a}`).join(" "), formatTags(v.tags)]),
        ),
      );
    });

  cmd
    .command("tag <model> <version>")
    .description("add or remove tags of a model version (with neither, show its tags)")
    .option("-a, --add <key=value>", "set a tag (repeatable)", collect)
    .option("-r, --remove <key>", "remove a tag (repeatable)", collect)
    .action(async (model: string, version: string, opts: { add?: string[]; remove?: string[] }, command: Command) => {
      const add = keyValues(opts.add, "--add");
      const tracker = await openTracker(command);
      let tags = await tracker.getModelTags(model, version);
      if (Object.keys(add).length > 0) tags = await tracker.addModelTags(model, version, add);
      if (opts.remove?.length) tags = await tracker.removeModelTags(model, version, opts.remove);
      if (globals(command).json) return printJson({ modelName: model, version, tags });
      const pairs = Object.entries(tags);
      console.log(pairs.length ? `${model} version ${version} tags:\n${fields(pairs, "  ")}` : `${model} version ${version} has no tags`);
    });

  cmd
    .command("alias <model> <alias> [version]")
    .description("point an alias (e.g. champion) at a version; without a version, show where it points")
    .option("-d, --delete", "remove the alias")
    .action(async (model: string, alias: string, version: string | undefined, opts: { delete?: boolean }, command: Command) => {
      const tracker = await openTracker(command);
      const json = globals(command).json;
      if (opts.delete) {
        await tracker.deleteModelAlias(model, alias);
        return json ? printJson({ modelName: model, alias, version: null }) : console.log(`removed ${model}@${alias}`);
      }
      if (version !== undefined) {
        await tracker.setModelAlias(model, alias, version);
        return json ? printJson({ modelName: model, alias, version }) : console.log(`${model}@${alias} → version ${version}`);
      }
      const versions = await requireVersions(tracker, model);
      const target = versions.find((v) => v.aliases.includes(alias));
      if (!target) throw new ModelNotFound(model, `model ${model} has no alias @${alias}`);
      return json ? printJson({ modelName: model, alias, version: target.version }) : console.log(`${model}@${alias} → version ${target.version}`);
    });

  return cmd;
}

/** The library answers [] for an unknown model; on the command line that is a mistyped name. */
async function requireVersions(tracker: RuneLog, model: string): Promise<ModelVersion[]> {
  const versions = await tracker.getModelVersions(model);
  if (versions.length === 0 && !(await tracker.listRegisteredModels()).includes(model)) throw new ModelNotFound(model);
  return versions;
}

function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(" ");
}
