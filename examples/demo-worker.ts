/**
 * One demo worker process: trains its share of the grid, one runelog run per trial, all into the
 * same experiment as the other workers. Started by demo.ts with its trials in the environment.
 */
import { RuneLog } from "../src/index.js";
import { demoData, emptyModel, evaluate, trainEpoch } from "./logreg.js";

export interface Trial {
  index: number;
  learningRate: number;
  l2: number;
  batchSize: number;
  epochs: number;
}

export interface WorkerAssignment {
  workerId: number;
  experimentName: string;
  trials: Trial[];
}

/** What a worker tells the parent after each trial, so it can show progress. */
export interface TrialReport {
  workerId: number;
  trial: Trial;
  runId: string;
  valAccuracy: number;
  valLoss: number;
  metricEvents: number;
  logMs: number;
}

const assignment = JSON.parse(process.env.RUNELOG_DEMO_ASSIGNMENT ?? "null") as WorkerAssignment | null;
if (!assignment) throw new Error("demo-worker.js is started by demo.js, which passes RUNELOG_DEMO_ASSIGNMENT");

const tracker = new RuneLog(); // $RUNELOG_PATH (a folder or a postgres:// URL), else "."
const { train, validation, features } = demoData();

for (const trial of assignment.trials) {
  const tags = { worker: String(assignment.workerId), trial: String(trial.index) };
  const report = await tracker.startRun({ experimentName: assignment.experimentName, logCode: true, tags }, async (run) => {
    const { learningRate, l2, batchSize, epochs } = trial;
    await run.logParams({ learningRate, l2, batchSize, epochs, trainSamples: train.labels.length, features: features.length });

    const model = emptyModel(features);
    // Not awaited one by one: the tracker batches these into a few locked appends (group commit).
    const pending: Promise<void>[] = [];
    for (let epoch = 1; epoch <= epochs; epoch++) {
      trainEpoch(model, train, { learningRate, l2, batchSize, seed: trial.index }, epoch);
      const onTrain = evaluate(model, train);
      const onValidation = evaluate(model, validation);
      pending.push(
        run.logMetric("train_loss", onTrain.loss, { step: epoch }),
        run.logMetric("val_loss", onValidation.loss, { step: epoch }),
        run.logMetric("val_accuracy", onValidation.accuracy, { step: epoch }),
      );
    }
    const logStarted = performance.now();
    await Promise.all(pending);
    const logMs = performance.now() - logStarted;

    const final = evaluate(model, validation);
    await run.logMetric("train_accuracy", evaluate(model, train).accuracy);
    await run.logModel(model, "model");
    return { workerId: assignment.workerId, trial, runId: run.runId, valAccuracy: final.accuracy, valLoss: final.loss, metricEvents: pending.length, logMs };
  });
  process.send?.(report satisfies TrialReport);
}
