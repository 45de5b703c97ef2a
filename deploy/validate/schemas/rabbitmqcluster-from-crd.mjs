// Writes schemas/rabbitmqcluster.schema.json, the schema validate.mjs checks RabbitmqCluster objects against (no npm
// package carries it), from the RabbitMQ Cluster Operator's own CRD:
//   node schemas/rabbitmqcluster-from-crd.mjs rabbitmq.com_rabbitmqclusters.yaml "SOURCE" > schemas/rabbitmqcluster.schema.json
// (config/crd/bases/ in github.com/rabbitmq/cluster-operator). It keeps the v1beta1 openAPIV3Schema as the operator
// wrote it, without descriptions and status, and with spec.override (a partial StatefulSet and Service, which this
// base does not use) left unchecked, to keep the file small.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const crd = parseAllDocuments(readFileSync(process.argv[2], "utf8")).map((d) => d.toJS()).find((d) => d?.kind === "CustomResourceDefinition");
const version = crd.spec.versions.find((v) => v.name === "v1beta1");
const schema = structuredClone(version.schema.openAPIV3Schema);
const strip = (node) => {
  if (Array.isArray(node)) return node.forEach(strip);
  if (node && typeof node === "object") {
    delete node.description;
    Object.values(node).forEach(strip);
  }
};
strip(schema);
delete schema.properties.status;
schema.properties.spec.properties.override = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
const source = process.argv[3] ? `, ${process.argv[3]}` : "";
process.stdout.write(JSON.stringify({ $comment: `from the CRD ${crd.metadata.name}${source}; see rabbitmqcluster-from-crd.mjs`, ...schema }, null, 1) + "\n");
