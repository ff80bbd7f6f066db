/** The folder store: everything under `<path>/.runelog/` (journals, blobs, snapshots). */
import { stat } from "node:fs/promises";
import { FileJournalBackend } from "../../journal/index.js";
import { StorePaths } from "../paths.js";
import { FileSnapshotStore } from "../snapshots.js";
import type { Capabilities, Store, StoreOptions } from "../types.js";
import { FileBlobStore } from "./blobs.js";

export const FILE_CAPABILITIES: Capabilities = { tornTail: true };

export class FileStore implements Store {
  readonly location: string;
  readonly journals: FileJournalBackend;
  readonly blobs: FileBlobStore;
  readonly snapshots: FileSnapshotStore;
  readonly paths: StorePaths;

  constructor(folder: string, options: StoreOptions) {
    this.paths = new StorePaths(folder);
    this.location = this.paths.root;
    this.journals = new FileJournalBackend(this.paths, options);
    this.blobs = new FileBlobStore(this.paths, options.lock);
    this.snapshots = new FileSnapshotStore(this.paths);
  }

  async exists(): Promise<boolean> {
    return (await stat(this.paths.root).catch(() => null))?.isDirectory() ?? false;
  }

  async close(): Promise<void> {}
}
