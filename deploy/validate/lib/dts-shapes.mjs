// Reads the shape of a Kubernetes object (which fields exist, at every depth) from the TypeScript declarations that
// kubernetes-models and @kubernetes-models/keda ship beside their validators. The validators themselves accept any
// unknown field; the declarations list exactly the fields of the OpenAPI schema they were generated from.
//
// A shape is { kind: "object", props, index } | { kind: "array", item } | { kind: "union", options }
//          | { kind: "ref", name, file } | { kind: "leaf" }   (see unknown-fields.mjs)
import { readFileSync } from "node:fs";
import path from "node:path";

const leaf = { kind: "leaf" };

function tokenize(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  return text.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*|-?\d+(?:\.\d+)?|[{}<>[\]():;?|,=.&*]/g) ?? [];
}

class Parser {
  constructor(tokens) {
    this.tokens = tokens;
    this.at = 0;
  }
  peek(offset = 0) { return this.tokens[this.at + offset]; }
  next() { return this.tokens[this.at++]; }
  expect(token) {
    const got = this.next();
    if (got !== token) throw new Error(`expected '${token}', got '${got}'`);
  }
  skipBalanced(open, close) {
    let depth = 0;
    do {
      const token = this.next();
      if (token === undefined) throw new Error(`unbalanced '${open}'`);
      if (token === open) depth++;
      else if (token === close) depth--;
    } while (depth > 0);
  }
  type() {
    const options = [this.primary()];
    while (this.peek() === "|") {
      this.next();
      options.push(this.primary());
    }
    return options.length === 1 ? options[0] : { kind: "union", options };
  }
  primary() {
    const token = this.next();
    let shape;
    if (token === "{") shape = this.members();
    else if (token === "(") { shape = this.type(); this.expect(")"); }
    else if (token === "Array" && this.peek() === "<") { this.next(); shape = { kind: "array", item: this.type() }; this.expect(">"); }
    else if (/^["'\d-]/.test(token) || ["string", "number", "boolean", "any", "unknown", "object", "null", "undefined", "true", "false"].includes(token)) shape = leaf;
    else if (/^[A-Za-z_$]/.test(token)) {
      shape = { kind: "ref", name: token };
      if (this.peek() === "<") this.skipBalanced("<", ">");
    } else throw new Error(`unexpected '${token}' in a type`);
    while (this.peek() === "[" && this.peek(1) === "]") {
      this.next(); this.next();
      shape = { kind: "array", item: shape };
    }
    return shape;
  }
  members() {   // after '{'
    const props = {};
    let index = null;
    while (this.peek() !== "}") {
      if (this.peek() === "[") {
        this.next(); this.next(); this.expect(":"); this.type(); this.expect("]"); this.expect(":");
        index = this.type();
      } else {
        const raw = this.next();
        const name = /^["']/.test(raw) ? JSON.parse(raw.replace(/^'|'$/g, '"')) : raw;
        if (this.peek() === "?") this.next();
        this.expect(":");
        props[name] = this.type();
      }
      if (this.peek() === ";" || this.peek() === ",") this.next();
    }
    this.expect("}");
    return { kind: "object", props, index };
  }
}

/** One declaration file: what it declares, imports and re-exports. */
function readDeclarations(file) {
  const parser = new Parser(tokenize(readFileSync(file, "utf8")));
  const declared = {};
  const imports = {};
  const aliases = {};
  while (parser.peek() !== undefined) {
    const token = parser.next();
    if (token === "import") {
      if (parser.peek() === "type") parser.next();
      if (parser.peek() !== "{") { while (parser.next() !== ";"); continue; }
      parser.next();
      const names = [];
      while (parser.peek() !== "}") {
        const name = parser.next();
        let local = name;
        if (parser.peek() === "as") { parser.next(); local = parser.next(); }
        names.push([name, local]);
        if (parser.peek() === ",") parser.next();
      }
      parser.expect("}");
      parser.expect("from");
      const from = JSON.parse(parser.next().replace(/^'|'$/g, '"'));
      for (const [name, local] of names) imports[local] = { name, from };
    } else if (token === "interface") {
      const name = parser.next();
      while (parser.peek() !== "{") parser.next();   // extends ...
      parser.next();
      declared[name] = parser.members();
    } else if (token === "type" && parser.peek(1) === "=") {
      const name = parser.next();
      parser.expect("=");
      declared[name] = parser.type();
    } else if (token === "class") {
      while (parser.peek() !== "{") parser.next();
      parser.skipBalanced("{", "}");
    } else if (token === "export" && parser.peek() === "{") {
      parser.next();
      while (parser.peek() !== "}") {
        const name = parser.next();
        let exported = name;
        if (parser.peek() === "as") { parser.next(); exported = parser.next(); }
        aliases[exported] = name;
        if (parser.peek() === ",") parser.next();
      }
      parser.next();
    }
  }
  return { declared, imports, aliases };
}

/** Resolves the declaration files of the packages in nodeModules. */
export class DeclarationShapes {
  constructor(nodeModules) {
    this.nodeModules = nodeModules;
    this.files = new Map();
  }

  file(name) {
    if (!this.files.has(name)) this.files.set(name, readDeclarations(name));
    return this.files.get(name);
  }

  pathOf(specifier, fromFile) {
    if (specifier.startsWith(".")) return path.resolve(path.dirname(fromFile), `${specifier}.d.ts`);
    return path.join(this.nodeModules, `${specifier}.d.ts`);
  }

  /** The shape named `name` as seen from `file`, or null when that name is not declared there. */
  lookup(name, file) {
    const declarations = this.file(file);
    if (declarations.declared[name]) return this.bind(declarations.declared[name], file);
    if (declarations.aliases[name] && declarations.aliases[name] !== name) return this.lookup(declarations.aliases[name], file);
    const imported = declarations.imports[name];
    if (imported) return this.lookup(imported.name, this.pathOf(imported.from, file));
    return null;
  }

  /** Ties the references inside a shape to the file they were written in. */
  bind(shape, file) {
    switch (shape.kind) {
      case "ref": return { kind: "ref", name: shape.name, file, shapes: this };
      case "object": return {
        kind: "object",
        props: Object.fromEntries(Object.entries(shape.props).map(([key, value]) => [key, this.bind(value, file)])),
        index: shape.index && this.bind(shape.index, file),
      };
      case "array": return { kind: "array", item: this.bind(shape.item, file) };
      case "union": return { kind: "union", options: shape.options.map((option) => this.bind(option, file)) };
      default: return shape;
    }
  }

  /** The shape of a model: `I<kind>` in `<specifier>.d.ts` (e.g. kubernetes-models/apps/v1/Deployment). */
  model(specifier, kind) {
    const shape = this.lookup(`I${kind}`, this.pathOf(specifier));
    if (!shape) throw new Error(`no declaration I${kind} in ${specifier}`);
    return shape;
  }
}
