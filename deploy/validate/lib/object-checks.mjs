// The two checks of one object: its schema, and fields its shape does not have.
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { DeclarationShapes } from "./dts-shapes.mjs";
import { fromJsonSchema, unknownFields } from "./unknown-fields.mjs";

let shapes;
let rabbitmqCluster;

/** Where each API group's models live: apiVersion "apps/v1" → kubernetes-models/apps/v1/<Kind>. */
function modelModule(apiVersion) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

function rabbitmqClusterChecks(schemas) {
  if (!rabbitmqCluster) {
    const schema = JSON.parse(readFileSync(path.join(schemas, "rabbitmqcluster.schema.json"), "utf8"));
    // The CRD's Kubernetes extensions (x-kubernetes-*) are not JSON Schema keywords: strict mode off for them.
    const ajv = new Ajv({ allErrors: true, strict: false });
    // The OpenAPI integer formats the CRD uses.
    ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat("int64", { type: "number", validate: (n) => Number.isInteger(n) });
    rabbitmqCluster = { validate: ajv.compile(schema), shape: fromJsonSchema(schema) };
  }
  return rabbitmqCluster;
}

function schemaProblems(error) {
  return String(error?.message ?? error).split(/,\s*(?=data)|\n/).map((line) => line.trim()).filter(Boolean);
}

/**
 * { schemaErrors: string[], unknownFields: string[], schemaSource } for an object of a kind a schema covers, or
 * { unsupported: reason }.
 */
export async function checkObject(object, { nodeModules, schemas }) {
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== "string" || typeof kind !== "string") return { unsupported: "no apiVersion or kind" };

  if (apiVersion === "rabbitmq.com/v1beta1" && kind === "RabbitmqCluster") {
    const checks = rabbitmqClusterChecks(schemas);
    const schemaErrors = checks.validate(object)
      ? []
      : checks.validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
    return { schemaErrors, unknownFields: unknownFields(object, checks.shape), schemaSource: "operator CRD schema" };
  }

  const specifier = modelModule(apiVersion);
  let models;
  try {
    models = await import(specifier);
  } catch {
    return { unsupported: `no schema for apiVersion ${apiVersion}` };
  }
  const Model = models[kind];
  if (typeof Model !== "function" || Model.apiVersion !== apiVersion) {
    return { unsupported: `no schema for ${apiVersion} ${kind}` };
  }
  let schemaErrors = [];
  try {
    new Model(object).validate();
  } catch (error) {
    schemaErrors = schemaProblems(error);
  }
  shapes ??= new DeclarationShapes(nodeModules);
  const shape = shapes.model(`${specifier}/${kind}`, kind);
  return { schemaErrors, unknownFields: unknownFields(object, shape), schemaSource: specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : "kubernetes-models" };
}
