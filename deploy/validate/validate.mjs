// Validates the rendered Kubernetes base offline, two ways for every object:
//   1. its schema: kubernetes-models / @kubernetes-models/keda (types, required fields, enums, formats), and for
//      RabbitmqCluster schemas/rabbitmqcluster.schema.json (from the operator's CRD) with Ajv;
//   2. unknown fields: every key must exist in the object's shape, read from the packages' declarations or that
//      schema (the packages' validators let a misspelled key such as `readinesProbe` pass).
//
//   kubectl kustomize deploy/kubernetes | node deploy/validate/validate.mjs [FILE]
//   node deploy/validate/validate.mjs --self-test [FILE]   misspells keys and breaks types in a copy, and fails
//                                                          unless each one is caught by the check meant to catch it
// Exit 0: valid (or the self-test passed); 1: invalid; 2: usage or an object of a kind no schema covers.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { checkObject } from "./lib/object-checks.mjs";
import { selfTest } from "./lib/self-test.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const testing = args[0] === "--self-test";
if (testing) args.shift();
if (args.length > 1 || args.some((a) => a.startsWith("-"))) {
  console.error("usage: validate.mjs [--self-test] [FILE]   (reads stdin without FILE)");
  process.exit(2);
}

let source;
try {
  source = readFileSync(args[0] ?? 0, "utf8");
} catch (error) {
  console.error(`validate: cannot read ${args[0] ?? "stdin"}: ${error.message}`);
  process.exit(2);
}
const documents = parseAllDocuments(source);
const broken = documents.find((d) => d.errors.length > 0);
if (broken) {
  console.error(`validate: not YAML: ${broken.errors[0].message.split("\n")[0]}`);
  process.exit(2);
}
const objects = documents.map((d) => d.toJS()).filter((o) => o !== null);
if (objects.length === 0) {
  console.error("validate: no objects to validate");
  process.exit(2);
}

const context = { nodeModules: path.join(here, "node_modules"), schemas: path.join(here, "schemas") };
if (testing) {
  process.exit(await selfTest(objects, context));
}

let failed = 0;
let unsupported = 0;
for (const object of objects) {
  const name = `${object.kind}/${object.metadata?.name}`;
  const result = await checkObject(object, context);
  if (result.unsupported) {
    unsupported++;
    console.error(`${name}: ${result.unsupported}`);
    continue;
  }
  for (const problem of result.schemaErrors) console.error(`${name}: schema: ${problem}`);
  for (const field of result.unknownFields) console.error(`${name}: unknown field ${field}`);
  if (result.schemaErrors.length + result.unknownFields.length > 0) failed++;
  else console.log(`${name}: valid (${result.schemaSource})`);
}
console.log(`${objects.length} objects, ${failed} invalid, ${unsupported} without a schema`);
process.exit(unsupported > 0 ? 2 : failed > 0 ? 1 : 0);
