/**
 * One trial of `runelog sweep examples/sweep.json`: trains the demo's logistic regression with the
 * params the sweep runner hands over, and logs into the run the runner created for this trial.
 *
 *   RUNELOG_PARAMS   the trial's params as JSON ({ "learningRate": 0.3, "batchSize": 64, … })
 *   RUNELOG_RUN_ID   the trial's run: tracker.currentRun() resumes it
 *   RUNELOG_PATH     the store's folder
 *
 * It leaves ending the run to the runner: exit code 0 makes it FINISHED, a thrown error (exit
 * code 1) FAILED. Run by hand without a sweep, it starts a run of its own in "sweep-trial".
 */
import { RuneLog } from "../src/index.js";
import { demoData, emptyModel, evaluate, trainEpoch } from "./logreg.js";

interface TrialParams {
  learningRate: number;
  l2: number;
  batchSize: number;
  epochs: number;
}

const given = JSON.parse(process.env.RUNELOG_PARAMS ?? "{}") as Partial<TrialParams>;
const params: TrialParams = { learningRate: 0.5, l2: 0, batchSize: 64, epochs: 10, ...given };
// Bad settings fail the trial (and only this trial) with a message the sweep shows.
if (!(params.learningRate > 0)) throw new Error(`learningRate must be above 0, got ${params.learningRate}`);
if (!(params.l2 >= 0)) throw new Error(`l2 must be 0 or more, got ${params.l2}`);
if (!Number.isInteger(params.batchSize) || params.batchSize < 1) throw new Error(`batchSize must be a whole number above 0, got ${params.batchSize}`);
if (!Number.isInteger(params.epochs) || params.epochs < 1) throw new Error(`epochs must be a whole number above 0, got ${params.epochs}`);

const tracker = new RuneLog(process.env.RUNELOG_PATH ?? ".");
const run = process.env.RUNELOG_RUN_ID ? await tracker.currentRun() : await tracker.startRun({ experimentName: "sweep-trial" });
if (!process.env.RUNELOG_RUN_ID) await run.logParams({ ...params });

const { train, validation } = demoData();
const model = emptyModel(train.features[0]!.map((_, j) => `x${j + 1}`));
const pending: Promise<void>[] = [];
for (let epoch = 1; epoch <= params.epochs; epoch++) {
  trainEpoch(model, train, { learningRate: params.learningRate, l2: params.l2, batchSize: params.batchSize, seed: 1 }, epoch);
  const onValidation = evaluate(model, validation);
  // Not awaited one by one: the tracker commits them together.
  pending.push(run.logMetrics({ train_loss: evaluate(model, train).loss, val_loss: onValidation.loss, val_accuracy: onValidation.accuracy }, { step: epoch }));
}
await Promise.all(pending);
const final = evaluate(model, validation);
if (!Number.isFinite(final.loss)) throw new Error(`training diverged (val_loss ${final.loss})`);
await run.logModel(model, "model");
console.log(`val_accuracy ${final.accuracy.toFixed(4)}  val_loss ${final.loss.toFixed(4)}`);
if (!process.env.RUNELOG_RUN_ID) await run.end();
