// A form generator at work: react-jsonschema-form renders each schema it is given as a form
// (server-side, to HTML) and validates the given data with its own Ajv validator.
// stdin: [{"name", "schema", "data"}]; stdout: [{"name", "labels", "inputs", "errors"}].
import { readFileSync } from "node:fs";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";

const jobs = JSON.parse(readFileSync(0, "utf8"));
const results = jobs.map(({ name, schema, data }) => {
  const html = renderToStaticMarkup(createElement(Form, { schema, validator, formData: data }));
  return {
    name,
    labels: [...html.matchAll(/<(label|legend)\b[^>]*>(.*?)<\/\1>/gs)].map((m) => m[2].replace(/<[^>]*>/g, "").trim()),
    inputs: (html.match(/<(input|select|textarea)\b/g) || []).length,
    errors: validator.validateFormData(data, schema).errors.map((e) => e.stack),
  };
});
process.stdout.write(JSON.stringify(results));
