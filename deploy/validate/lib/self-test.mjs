// Proves that both checks can fail: each case changes one field of a copy of the rendered objects and expects the
// check meant for it to report exactly that field — a misspelled key must pass the packages' own validation (which
// is why the unknown-field check exists) and be caught as an unknown field; a wrong type must fail the schema.
import { checkObject } from "./object-checks.mjs";

const cases = [
  { kind: "Deployment", path: ["spec", "template", "spec", "containers", 0], rename: ["readinessProbe", "readinesProbe"] },
  { kind: "Deployment", path: ["spec", "template", "spec"], rename: ["terminationGracePeriodSeconds", "terminationGracePeriod"] },
  { kind: "StatefulSet", path: ["spec", "volumeClaimTemplates", 0, "spec"], rename: ["accessModes", "accesModes"] },
  { kind: "Job", path: ["spec"], rename: ["activeDeadlineSeconds", "activeDeadlineSecond"] },
  { kind: "ConfigMap", path: [], rename: ["data", "datas"] },
  { kind: "ScaledObject", path: ["spec"], rename: ["cooldownPeriod", "cooldownPeriods"] },
  { kind: "ScaledObject", path: ["spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown"], rename: ["stabilizationWindowSeconds", "stabilisationWindowSeconds"] },
  { kind: "TriggerAuthentication", path: ["spec"], rename: ["secretTargetRef", "secretTargetRefs"] },
  { kind: "RabbitmqCluster", path: ["spec", "rabbitmq"], rename: ["additionalConfig", "additionalConfg"] },
  { kind: "RabbitmqCluster", path: ["spec"], rename: ["persistence", "persistance"] },
  { kind: "Deployment", path: ["spec", "template", "spec"], set: ["terminationGracePeriodSeconds", "forty"] },
  { kind: "StatefulSet", path: ["spec"], set: ["replicas", "one"] },
  { kind: "ScaledObject", path: ["spec"], set: ["maxReplicaCount", "many"] },
  { kind: "RabbitmqCluster", path: ["spec"], set: ["replicas", -3] },
];

const pathText = (path, key) => path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("") + `.${key}`;

export async function selfTest(objects, context) {
  let failures = 0;
  for (const testCase of cases) {
    const index = objects.findIndex((o) => o.kind === testCase.kind);
    if (index < 0) {
      console.error(`self-test: no ${testCase.kind} in the input`);
      failures++;
      continue;
    }
    const object = structuredClone(objects[index]);
    const parent = testCase.path.reduce((node, key) => node?.[key], object);
    const [key, replacement] = testCase.rename ?? testCase.set;
    if (!parent || !Object.hasOwn(parent, key)) {
      console.error(`self-test: ${testCase.kind} has no ${pathText(testCase.path, key)} to change`);
      failures++;
      continue;
    }
    let expected;
    if (testCase.rename) {
      parent[replacement] = parent[key];
      delete parent[key];
      expected = pathText(testCase.path, replacement);
    } else {
      parent[key] = replacement;
      expected = pathText(testCase.path, key);
    }
    const result = await checkObject(object, context);
    const label = `${testCase.kind} ${testCase.rename ? `${key} misspelled as ${replacement}` : `${key}: ${JSON.stringify(replacement)}`}`;
    let ok;
    if (testCase.rename) {
      ok = result.unknownFields.length === 1 && result.unknownFields[0] === expected && result.schemaErrors.length === 0;
      const why = `unknown fields ${JSON.stringify(result.unknownFields)}, schema errors ${JSON.stringify(result.schemaErrors)}`;
      console.log(`${ok ? "caught" : "MISSED"}: ${label} (${why})`);
    } else {
      ok = result.schemaErrors.length > 0 && result.unknownFields.length === 0;
      console.log(`${ok ? "caught" : "MISSED"}: ${label} (schema errors ${JSON.stringify(result.schemaErrors)})`);
    }
    if (!ok) failures++;
  }
  console.log(`self-test: ${cases.length - failures} of ${cases.length} cases caught`);
  return failures === 0 ? 0 : 1;
}
