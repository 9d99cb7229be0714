// The API contract: docs/api/openapi.yaml must be valid OpenAPI (swagger-parser), and a real server
// must answer as it says. For every operation of the file, its documented example request (requestBody
// example, path parameter examples) is sent to `sextant serve`; the status must be one the operation
// documents, and a JSON body must validate (ajv) against that response's schema with every object
// closed: a field the code writes but the schema lacks fails. Each operation that documents a 4xx is
// also sent a request that must fail (an unknown field, an unknown name), and the error body is
// validated the same way.
//
//   node tests/contract/contract.mjs path/to/sextant docs/api/openapi.yaml
//   node tests/contract/contract.mjs --validate-only docs/api/openapi.yaml
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv from "ajv";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [, , binary, specPath] = process.argv;
const failures = [];
let passed = 0;
const fail = (what) => failures.push(what);

// 1. The file is valid OpenAPI 3 (this also resolves every $ref).
if (binary === "--validate-only") {
  await SwaggerParser.validate(specPath);  // throws, listing the errors
  console.log("1 passed, 0 failed");
  process.exit(0);
}
const api = await SwaggerParser.validate(specPath);

// 2. Every object schema with properties is closed unless it says otherwise.
function close(schema, seen = new WeakSet()) {
  if (!schema || typeof schema !== "object" || seen.has(schema)) return schema;
  seen.add(schema);
  if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  for (const p of Object.values(schema.properties ?? {})) close(p, seen);
  for (const key of ["items", "additionalProperties", "not"]) if (typeof schema[key] === "object") close(schema[key], seen);
  for (const key of ["oneOf", "anyOf", "allOf"]) for (const s of schema[key] ?? []) close(s, seen);
  return schema;
}
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

// 3. A server on free ports: try offsets until one starts.
async function startServer() {
  for (let attempt = 0; attempt < 20; ++attempt) {
    const offset = 10000 + Math.floor(Math.random() * 400) * 100;
    const models = mkdtempSync(join(tmpdir(), "sextant-contract-models-"));
    process.on("exit", () => rmSync(models, { recursive: true, force: true }));
    const child = spawn(binary, ["serve", "--port-offset", String(offset), "--threads", "2", "--models-dir", models, "--market-data", "none"],
                        { stdio: ["ignore", "pipe", "pipe"] });
    const ready = await new Promise((resolve) => {
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => { if (line.startsWith("ready")) resolve(true); });
      child.on("exit", () => resolve(false));
      setTimeout(() => resolve(false), 60000);
    });
    if (ready) return { child, offset };
    child.kill("SIGKILL");
  }
  throw new Error("sextant serve did not start on any offset");
}

const { child, offset } = await startServer();
try {
  const methodsInOrder = ["put", "post", "get", "delete"];  // a stored set exists before it is read
  for (const [path, item] of Object.entries(api.paths)) {
    for (const method of methodsInOrder) {
      const op = item[method];
      if (!op) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const port = Number((op.summary ?? "").match(/\((\d{4})\)/)?.[1] ?? 8100) + offset;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      let url = path;
      for (const p of params.filter((p) => p.in === "path")) {
        if (p.example === undefined) { fail(`${name}: path parameter '${p.name}' has no example`); continue; }
        url = url.replace(`{${p.name}}`, encodeURIComponent(p.example));
      }
      const body = op.requestBody?.content?.["application/json"];
      if (op.requestBody && body?.example === undefined) fail(`${name}: the request body has no example`);

      // The documented example.
      const res = await send(port, method, url, body?.example);
      check(name, op, res, "example");

      // The documented error.
      const errorCode = Object.keys(op.responses).find((c) => c.startsWith("4"));
      if (!errorCode) continue;
      let bad = null;
      if (body) bad = await send(port, method, url, { ...body.example, contract_unknown_field: 1 });
      else if (params.some((p) => p.in === "path")) {
        let badUrl = path;
        for (const p of params.filter((p) => p.in === "path")) badUrl = badUrl.replace(`{${p.name}}`, "no-such-name");
        bad = await send(port, method, badUrl);
      }
      if (!bad) continue;
      if (bad.status < 400 || bad.status >= 500) fail(`${name}: a bad request got ${bad.status}`);
      check(name, op, bad, "error");
    }
  }
} finally {
  child.kill("SIGTERM");
}

async function send(port, method, url, body) {
  const r = await fetch(`http://127.0.0.1:${port}${url}`, {
    method: method.toUpperCase(),
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, type: r.headers.get("content-type") ?? "", text: await r.text() };
}

function check(name, op, res, what) {
  const before = failures.length;
  checkResponse(name, op, res, what);
  if (failures.length === before) ++passed;
}

function checkResponse(name, op, res, what) {
  const doc = op.responses[String(res.status)] ?? op.responses.default;
  if (!doc) return fail(`${name} (${what}): status ${res.status} is not documented: ${res.text.slice(0, 300)}`);
  const content = doc.content ?? {};
  const type = res.type.split(";")[0].trim();
  if (!content[type]) return fail(`${name} (${what}): ${res.status} answered ${type}, documented ${Object.keys(content).join(", ") || "no body"}`);
  if (type !== "application/json") return;
  const schema = content[type].schema;
  if (!schema) return fail(`${name} (${what}): ${res.status} has no schema`);
  const validate = ajv.compile(close(schema));
  let json;
  try { json = JSON.parse(res.text); } catch { return fail(`${name} (${what}): not JSON: ${res.text.slice(0, 200)}`); }
  if (!validate(json))
    fail(`${name} (${what}, ${res.status}): ` +
         validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}` +
           (e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : "")).join("; "));
}

for (const f of failures) console.log(`FAIL ${f}`);
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
