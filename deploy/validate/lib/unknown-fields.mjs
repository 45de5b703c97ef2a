// Finds fields a shape does not have: the check kubectl's strict field validation makes on a server, done offline.
// Shapes come from the packages' declarations (dts-shapes.mjs) or from a JSON schema (fromJsonSchema).

const leaf = { kind: "leaf" };

/** A JSON/OpenAPI schema (as a CRD carries it) as a shape. */
export function fromJsonSchema(schema) {
  if (!schema || schema["x-kubernetes-preserve-unknown-fields"]) return leaf;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return { kind: "union", options: options.map(fromJsonSchema) };
  if (schema.type === "array") return { kind: "array", item: fromJsonSchema(schema.items) };
  if (schema.type === "object" || schema.properties) {
    const { properties, additionalProperties } = schema;
    if (!properties && additionalProperties === undefined) return leaf;   // a free-form object
    return {
      kind: "object",
      props: Object.fromEntries(Object.entries(properties ?? {}).map(([key, value]) => [key, fromJsonSchema(value)])),
      index: additionalProperties === true ? leaf : additionalProperties ? fromJsonSchema(additionalProperties) : null,
    };
  }
  return leaf;
}

function resolve(shape) {
  let current = shape;
  for (let depth = 0; current?.kind === "ref"; depth++) {
    if (depth > 50) throw new Error(`reference loop at ${shape.name}`);
    // An unknown name (a type the declarations take from elsewhere) is not checked.
    current = current.shapes.lookup(current.name, current.file) ?? leaf;
  }
  return current ?? leaf;
}

const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const child = (at, key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`);

/** The paths (e.g. `.spec.template.spec.containers[0].readinesProbe`) of fields `shape` does not have. */
export function unknownFields(value, shape, at = "") {
  const resolved = resolve(shape);
  switch (resolved.kind) {
    case "object": {
      if (!isPlainObject(value)) return [];
      return Object.entries(value).flatMap(([key, item]) => {
        const field = Object.hasOwn(resolved.props, key) ? resolved.props[key] : resolved.index;
        return field ? unknownFields(item, field, child(at, key)) : [child(at, key)];
      });
    }
    case "array":
      return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, resolved.item, `${at}[${i}]`)) : [];
    case "union": {
      // The value fits the union if any option has every field it has.
      let fewest = null;
      for (const option of resolved.options) {
        const found = unknownFields(value, option, at);
        if (found.length === 0) return [];
        if (!fewest || found.length < fewest.length) fewest = found;
      }
      return fewest ?? [];
    }
    default:
      return [];
  }
}
