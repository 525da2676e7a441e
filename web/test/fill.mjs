// Fills a form in a real browser as a person would: for each value of a sample it picks the
// oneOf branch in its select, presses "Add" for each array item, types into inputs and text
// areas, ticks checkboxes, names added keys; then presses Submit and reports what the form
// handed over. The branch a value needs is the one RJSF itself would match (@rjsf/utils with
// the Ajv validator the form uses), so a schema whose branches cannot be told apart fails here.
import { ADDITIONAL_PROPERTY_FLAG, getFirstMatchingOption, retrieveSchema, isSelect, isMultiSelect } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";

const css = (id) => `[id="${id}"]`;

export class Filler {
  constructor(page, rootSchema) {
    this.page = page;
    this.root = rootSchema;
    this.steps = 0;
  }

  resolve(schema, value) {
    return retrieveSchema(validator, schema, this.root, value);
  }

  async fill(schema, value, id) {
    this.steps += 1;
    const raw = schema;
    schema = this.resolve(schema, value);
    const options = schema.oneOf || schema.anyOf;
    if (options && !isSelect(validator, schema, this.root)) {
      const resolved = options.map((o) => this.resolve(o, value));
      const index = getFirstMatchingOption(validator, value, resolved, this.root);
      const select = await this.reveal(this.page.locator(`select${css(`${id}__${schema.oneOf ? "oneof" : "anyof"}_select`)}`));
      if ((await select.inputValue()) !== String(index)) await select.selectOption(String(index));
      const { oneOf, anyOf, ...shared } = schema;
      return this.fill({ ...shared, ...resolved[index] }, value, id);
    }
    if (schema.const !== undefined) return this.constant(value, id);
    if (isSelect(validator, schema, this.root)) return this.choose(schema, value, id);
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null" && typeOf(value) === t) ?? schema.type[0] : schema.type ?? typeOf(value);
    if (value === null) return undefined;
    if (type === "object") return this.object(schema, value, id);
    if (type === "array") return this.array(schema, value, id, raw);
    if (type === "boolean") return this.tick(value, id);
    return this.type(String(value), id);
  }

  async object(schema, value, id) {
    const known = schema.properties || {};
    for (const [key, item] of Object.entries(value)) {
      const optional = this.page.locator(`button${css(`${id}_${key}__optionalAdd`)}`);
      if (await optional.count()) await (await this.reveal(optional)).click(); // "Add" an optional part first
      if (key in known && !known[key][ADDITIONAL_PROPERTY_FLAG]) {
        await this.fill(known[key], item, `${id}_${key}`);
        continue;
      }
      // an added key: "Add" makes a row named newKey; rename it, then fill its value
      await (await this.reveal(this.page.locator(`button${css(`${id}__add`)}`))).click();
      const keyInput = this.page.locator(`input${css(`${id}_newKey-key`)}, input${css(`${id}_newKey__key`)}`).first();
      await keyInput.fill(key);
      await keyInput.blur();
      await this.fill(known[key] ?? schema.additionalProperties, item, `${id}_${key}`);
    }
  }

  async array(schema, value, id) {
    if (isMultiSelect(validator, schema, this.root)) return this.choose(schema, value, id);
    for (let i = 0; i < value.length; i += 1) {
      await (await this.reveal(this.page.locator(`button${css(`${id}__add`)}`))).click();
      const items = Array.isArray(schema.items) ? schema.items[i] : schema.items;
      await this.fill(items, value[i], `${id}_${i}`);
    }
  }

  async choose(schema, value, id) {
    const labels = schema.enum ?? (schema.oneOf || schema.anyOf || schema.items?.oneOf || schema.items?.enum || []).map((o) => (o && typeof o === "object" ? o.const : o));
    const values = Array.isArray(value) ? value : [value];
    const indexes = values.map((v) => String(labels.findIndex((l) => JSON.stringify(l) === JSON.stringify(v))));
    const select = this.page.locator(`select${css(id)}`).last();
    if (await select.count()) return (await this.reveal(select)).selectOption(Array.isArray(value) ? indexes : indexes[0]);
    for (const index of indexes) await this.page.locator(`input${css(`${id}-${index}`)}`).check(); // checkboxes / radios
    return undefined;
  }

  /** Opens the collapsed "Advanced" section a field is in, as a person would before typing. */
  async reveal(locator) {
    const closed = await locator.evaluate((el) => Boolean(el.closest("details:not([open])")));
    if (closed) await locator.locator("xpath=ancestor::details[not(@open)][last()]/summary").click();
    return locator;
  }

  /** A constant is filled in when its branch is picked; where RJSF left it empty (a required
   * object inside a branch shown by default) a person types what its description says. */
  async constant(value, id) {
    const field = this.page.locator(`input${css(id)}`).last();
    if ((await field.count()) && (await field.inputValue()) === "") await this.type(String(value), id);
  }

  async tick(value, id) {
    const box = await this.reveal(this.page.locator(`input[type="checkbox"]${css(id)}`));
    await box.check();
    if (!value) await box.uncheck(); // a person who wants false ticks and unticks it
  }

  async type(text, id) {
    const field = await this.reveal(this.page.locator(`input${css(id)}, textarea${css(id)}`).last());
    if (text.includes("\n") && (await field.evaluate((el) => el.tagName)) !== "TEXTAREA") throw new Error(`${id}: a line break cannot be typed into a one-line input`);
    await field.fill("");
    if (text.length <= 16) await field.pressSequentially(text);
    else await field.fill(text); // a longer text: typed in one go (a paste), so that each key does not re-render the whole form
  }
}

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
