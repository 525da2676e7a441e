// Ajv's verdict on many inputs, as a form generator gives it on submit: @rjsf/validator-ajv8
// (Ajv 8, draft-07), one process for all. stdin: {"schemas": {op: schema}, "inputs": {op:
// [value, ...]}}; stdout: {op: [true | false, ...]} (true: no error).
import { readFileSync } from "node:fs";
import validator from "@rjsf/validator-ajv8";

const { schemas, inputs } = JSON.parse(readFileSync(0, "utf8"));
const verdicts = {};
for (const [op, values] of Object.entries(inputs)) {
  verdicts[op] = values.map((value) => {
    const { errors, validationError } = validator.rawValidation(schemas[op], value);
    if (validationError) throw new Error(`${op}: Ajv cannot compile the schema: ${validationError.message}`);
    return !errors || errors.length === 0;
  });
}
process.stdout.write(JSON.stringify(verdicts));
