// The forms test's page: one operation's form, as a host would show it, rendered on demand.
// window.showForm({schema, uiSchema, choices}) mounts it; what a submit hands over lands in
// window.submitted (or window.submitErrors), and every change in window.formData.
import { createRoot } from "react-dom/client";
import { flushSync } from "react-dom";
import { ConnectorForm } from "./form.jsx";
import "./style.css";

const root = createRoot(document.getElementById("app"));

window.showForm = ({ schema, uiSchema, choices }) => {
  window.submitted = undefined;
  window.submitErrors = undefined;
  window.formData = undefined;
  flushSync(() =>
    root.render(
      <ConnectorForm
        key={Math.random()}
        schema={schema}
        uiSchema={uiSchema}
        choices={choices}
        onChange={({ formData }) => (window.formData = formData)}
        onSubmit={({ formData }) => (window.submitted = formData)}
        onError={(errors) => (window.submitErrors = errors.map((e) => e.stack))}
      />,
    ),
  );
};
