// The connector's forms: react-jsonschema-form with the manifest's uiSchema, and the two
// templates the uiSchema's own options ask for, which a plain RJSF host would ignore:
// `advanced` fields collapsed under a <details>, and `dynamicOptions` (the model list) as a
// text field with a list of choices, so that an ID the list lacks can still be typed.
import { useEffect, useMemo } from "react";
import Form, { getDefaultRegistry } from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";

const { ObjectFieldTemplate: PlainObject } = getDefaultRegistry().templates;
const { TextWidget } = getDefaultRegistry().widgets;

/** A constant is no choice: shown read-only and filled in as soon as it shows. RJSF leaves one
 * empty inside a required object of a branch shown by default (a tool's input_schema "type");
 * optional objects only show once "Add"ed (forms.py), so nothing unchosen is filled. */
function ConstantOrText(props) {
  const { schema, value, onChange } = props;
  const fixed = schema.const !== undefined;
  useEffect(() => {
    if (fixed && value === undefined) onChange(schema.const);
  }, [fixed, value]);
  return <TextWidget {...props} readonly={props.readonly || fixed} />;
}
function isAdvanced(uiSchema, name) {
  return Boolean(uiSchema?.[name]?.["ui:options"]?.advanced);
}

/** RJSF's object template, with the advanced fields in a closed "Advanced" section. */
function ObjectFieldTemplate(props) {
  const advanced = props.properties.filter((p) => isAdvanced(props.uiSchema, p.name));
  if (advanced.length === 0) return <PlainObject {...props} />;
  const main = props.properties.filter((p) => !isAdvanced(props.uiSchema, p.name));
  return (
    <>
      <PlainObject {...props} properties={main} />
      <details className="advanced">
        <summary>Advanced ({advanced.map((p) => p.content.props.schema?.title || p.name).join(", ")})</summary>
        {advanced.map((p) => p.content)}
      </details>
    </>
  );
}

/** A text input with the field's choices as a datalist: value and label, marks included. */
function ChoicesWidget({ id, value, required, disabled, readonly, onChange, onBlur, onFocus, options, placeholder, registry }) {
  const choices = registry.formContext?.choices?.[options.field] ?? options.dynamicOptions.fallback;
  return (
    <>
      <input
        id={id}
        name={id}
        className="form-control"
        list={`${id}__choices`}
        value={value ?? ""}
        required={required}
        disabled={disabled || readonly}
        placeholder={placeholder}
        autoComplete="off"
        onChange={(e) => onChange(e.target.value === "" ? options.emptyValue : e.target.value)}
        onBlur={(e) => onBlur(id, e.target.value)}
        onFocus={(e) => onFocus(id, e.target.value)}
      />
      <datalist id={`${id}__choices`}>
        {choices.map((c) => (
          <option key={c.value} value={c.value} label={c.label} />
        ))}
      </datalist>
    </>
  );
}

/** The uiSchema with each dynamic-options field given this page's ChoicesWidget. */
export function withChoices(uiSchema) {
  const ui = { ...uiSchema };
  for (const [field, hints] of Object.entries(uiSchema)) {
    const options = hints?.["ui:options"];
    if (options?.dynamicOptions) ui[field] = { ...hints, "ui:widget": "choices", "ui:options": { ...options, field } };
  }
  return ui;
}

/** A violation's JSON pointer ("/messages/0/role") as RJSF's extraErrors tree. */
export function errorTree(violations) {
  const tree = {};
  for (const { path, message } of violations) {
    let node = tree;
    for (const part of path.split("/").slice(1)) node = node[part] ??= {};
    (node.__errors ??= []).push(message);
  }
  return tree;
}

// RJSF by default fills an optional choice with its first branch (thinking {"type":
// "enabled"}, tool_choice {"type": "auto"}, a tool call's caller), which would send what nobody
// chose. Fill in nothing but the constants of a branch a person picks (a message's role).
export const FILL_ONLY_WHAT_IS_REQUIRED = {
  emptyObjectFields: "skipDefaults",
  constAsDefaults: "skipOneOf",
  arrayMinItems: { populate: "never" },
};

export function ConnectorForm({ schema, uiSchema, formData, choices, extraErrors, noValidate, onChange, onSubmit, onError, children }) {
  const ui = useMemo(() => withChoices(uiSchema || {}), [uiSchema]);
  return (
    <Form
      schema={schema}
      uiSchema={ui}
      formData={formData}
      validator={validator}
      widgets={{ choices: ChoicesWidget, TextWidget: ConstantOrText }}
      templates={{ ObjectFieldTemplate }}
      formContext={{ choices }}
      extraErrors={extraErrors}
      noHtml5Validate
      noValidate={noValidate}
      showErrorList={false}
      focusOnFirstError
      experimental_defaultFormStateBehavior={FILL_ONLY_WHAT_IS_REQUIRED}
      onChange={onChange}
      onSubmit={onSubmit}
      onError={onError}
    >
      {children}
    </Form>
  );
}
