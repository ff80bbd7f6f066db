/** Logistic regression in plain TypeScript, and the synthetic data set the demo trains it on. */
import { seededRandom } from "../src/random.js";

export interface Dataset {
  features: number[][];
  labels: number[];
}

/** What a trial logs with logModel and what the registry hands back: plain JSON. */
export interface LogRegModel {
  weights: number[];
  bias: number;
  features: string[];
}

export interface TrainingOptions {
  learningRate: number;
  l2: number;
  batchSize: number;
  seed: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}


function gaussian(random: () => number): number {
  const u = 1 - random(); // in (0, 1], so the log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function featureNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `x${i + 1}`);
}

/**
 * Samples whose labels come from a hidden logistic model, drawn at random rather than thresholded, so
 * the classes overlap and no model reaches 100%. The features come in very different scales (as raw
 * data does): plain gradient descent learns the small-scale ones slowly, which gives the
 * learning rate something to matter for.
 */
export function makeClassificationData(options: { samples: number; features: number; seed: number }): Dataset {
  const random = seededRandom(options.seed);
  const scales = Array.from({ length: options.features }, (_, j) => 3 * 0.5 ** j);
  const trueWeights = scales.map((scale) => (1.5 * gaussian(random)) / scale);
  const trueBias = 0.4;
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const x = scales.map((scale) => scale * gaussian(random));
    labels.push(random() < sigmoid(dot(trueWeights, x) + trueBias) ? 1 : 0);
    features.push(x);
  }
  return { features, labels };
}

export function trainValidationSplit(data: Dataset, validationShare: number): { train: Dataset; validation: Dataset } {
  const cut = Math.round(data.labels.length * (1 - validationShare));
  return {
    train: { features: data.features.slice(0, cut), labels: data.labels.slice(0, cut) },
    validation: { features: data.features.slice(cut), labels: data.labels.slice(cut) },
  };
}

export function emptyModel(features: string[]): LogRegModel {
  return { weights: features.map(() => 0), bias: 0, features };
}

export function predictProbability(model: LogRegModel, x: number[]): number {
  return sigmoid(dot(model.weights, x) + model.bias);
}

/** Mean cross-entropy (without the L2 term, so losses compare across l2 settings) and accuracy at 0.5. */
export function evaluate(model: LogRegModel, data: Dataset): Evaluation {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.labels.length; i++) {
    const p = clamp(predictProbability(model, data.features[i]), 1e-12, 1 - 1e-12);
    const y = data.labels[i];
    loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    if ((p >= 0.5 ? 1 : 0) === y) correct++;
  }
  return { loss: loss / data.labels.length, accuracy: correct / data.labels.length };
}

/** One pass of mini-batch gradient descent over a shuffled copy of the training set; updates `model` in place. */
export function trainEpoch(model: LogRegModel, data: Dataset, options: TrainingOptions, epoch: number): void {
  const order = shuffledIndices(data.labels.length, seededRandom(options.seed * 1000 + epoch));
  const gradient = new Array<number>(model.weights.length);
  for (let start = 0; start < order.length; start += options.batchSize) {
    const batch = order.slice(start, start + options.batchSize);
    gradient.fill(0);
    let biasGradient = 0;
    for (const i of batch) {
      const x = data.features[i];
      const error = predictProbability(model, x) - data.labels[i];
      for (let j = 0; j < x.length; j++) gradient[j] += error * x[j];
      biasGradient += error;
    }
    for (let j = 0; j < model.weights.length; j++) {
      model.weights[j] -= options.learningRate * (gradient[j] / batch.length + options.l2 * model.weights[j]);
    }
    model.bias -= (options.learningRate * biasGradient) / batch.length;
  }
}

function shuffledIndices(length: number, random: () => number): number[] {
  const indices = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The demo's data: the parent and every worker call this and get identical samples. */
export function demoData(): { train: Dataset; validation: Dataset; features: string[] } {
  const features = featureNames(8);
  const data = makeClassificationData({ samples: 2000, features: features.length, seed: 42 });
  return { ...trainValidationSplit(data, 0.2), features };
}
