/** Model (de)serialization for logModel / loadRegisteredModel: JSON, raw bytes, or a caller's serializer; optional gzip. */
import { gunzipSync, gzipSync } from "node:zlib";
import { InvalidInput } from "./errors.js";
import type { ModelFormat } from "./events.js";
import * as validate from "./validate.js";

export interface ModelSerializer<M = unknown> {
  serialize(model: M): Uint8Array | Promise<Uint8Array>;
  deserialize(bytes: Uint8Array): M | Promise<M>;
}

export function checkSerializer(value: unknown): ModelSerializer | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<ModelSerializer>;
  if (typeof s !== "object" || s === null || typeof s.serialize !== "function" || typeof s.deserialize !== "function") {
    throw new InvalidInput("serializer", "must be an object with serialize and deserialize functions");
  }
  return s as ModelSerializer;
}

/** A model's format; serializeModel checks the model (before any I/O). */
export function modelFormat(model: unknown, serializer: ModelSerializer | undefined): ModelFormat["format"] {
  if (serializer) return "custom";
  return model instanceof Uint8Array ? "bytes" : "json";
}

export async function serializeModel(model: unknown, format: ModelFormat, serializer?: ModelSerializer): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (format.format === "custom") {
    bytes = await serializer!.serialize(model);
    if (!(bytes instanceof Uint8Array)) throw new InvalidInput("serializer", "serialize must return a Uint8Array");
  } else if (format.format === "bytes") {
    bytes = model as Uint8Array;
  } else {
    bytes = Buffer.from(JSON.stringify(validate.jsonValue("model", model)), "utf8"); // the checked copy is what is stored
  }
  return format.compress > 0 ? gzipSync(bytes, { level: format.compress }) : bytes;
}

export async function deserializeModel(stored: Buffer, format: ModelFormat | null, serializer?: ModelSerializer): Promise<unknown> {
  if (!format) return new Uint8Array(stored); // an artifact logged as a file: its bytes
  const bytes = format.compress > 0 ? gunzipSync(stored) : stored;
  switch (format.format) {
    case "json":
      return JSON.parse(bytes.toString("utf8"));
    case "bytes":
      return new Uint8Array(bytes);
    case "custom":
      if (!serializer) throw new InvalidInput("serializer", "this model was stored with a custom serializer: pass { serializer } to load it");
      return serializer.deserialize(new Uint8Array(bytes));
  }
}
