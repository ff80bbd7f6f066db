/** Every error runelog throws on purpose extends RuneLogError and carries a stable `code`. */
export class RuneLogError extends Error {
  readonly code: string = "RUNELOG_ERROR";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ExperimentNotFound extends RuneLogError {
  override readonly code = "EXPERIMENT_NOT_FOUND";
  constructor(readonly experiment: string) {
    super(`experiment not found: ${experiment}`);
  }
}

export class RunNotFound extends RuneLogError {
  override readonly code = "RUN_NOT_FOUND";
  constructor(readonly runId: string) {
    super(`run not found: ${runId}`);
  }
}

export class ArtifactNotFound extends RuneLogError {
  override readonly code = "ARTIFACT_NOT_FOUND";
  constructor(readonly artifact: string, where?: string) {
    super(`artifact not found: ${artifact}${where ? ` (${where})` : ""}`);
  }
}

export class ModelNotFound extends RuneLogError {
  override readonly code: string = "MODEL_NOT_FOUND";
  constructor(readonly modelName: string, message = `registered model not found: ${modelName}`) {
    super(message);
  }
}

export class NoVersionsFound extends ModelNotFound {
  override readonly code = "NO_VERSIONS_FOUND";
  constructor(modelName: string, what = "has no versions") {
    super(modelName, `registered model ${modelName} ${what}`);
  }
}

export class ModelVersionNotFound extends RuneLogError {
  override readonly code = "MODEL_VERSION_NOT_FOUND";
  constructor(readonly modelName: string, readonly version: string) {
    super(`model version not found: ${modelName} version ${version}`);
  }
}

export class NoActiveRun extends RuneLogError {
  override readonly code = "NO_ACTIVE_RUN";
  constructor(call: string) {
    super(`${call} needs an active run: call it inside startRun(options, fn), after startRun(), or use the run handle`);
  }
}

export class InvalidInput extends RuneLogError {
  override readonly code = "INVALID_INPUT";
  constructor(readonly argument: string, problem: string) {
    super(`invalid ${argument}: ${problem}`);
  }
}

export class JournalCorrupted extends RuneLogError {
  override readonly code = "JOURNAL_CORRUPTED";
  constructor(readonly file: string, readonly line: number, readonly offset: number, readonly kind: string) {
    super(
      kind === "not-a-file"
        ? `journal corrupted: ${file} is not a file (a directory or something else is in its place); run \`runelog verify\` for a full report`
        : `journal corrupted: ${file} line ${line} (byte offset ${offset}): ${kind}; run \`runelog verify\` for a full report`,
    );
  }
}

export class LockTimeout extends RuneLogError {
  override readonly code = "LOCK_TIMEOUT";
  constructor(readonly file: string, readonly waitedMs: number, readonly reason = "another writer holds it") {
    super(`could not lock ${file} within ${waitedMs} ms: ${reason}`);
  }
}

/** Raised when the read-only view from asOf() is asked to write. */
export class ReadOnlyView extends RuneLogError {
  override readonly code = "READ_ONLY";
  constructor(call: string) {
    super(`${call} is not allowed on a read-only view of the past (asOf)`);
  }
}
