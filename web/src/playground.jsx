// The playground `anthropic-connector serve` shows at /: pick an operation, fill its form (the
// manifest's schemas, uiSchema and model choices, through the service's own routes), run it on
// the sandbox or the configured API, and see the output, the events as they arrive, or the
// error envelope with its violations on the fields; then copy the same run as a command.
// Built by web/build.mjs into src/anthropic_connector/doors/playground/ (shipped in the wheel).
import { useEffect, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { ConnectorForm, errorTree } from "./form.jsx";
import "./style.css";
import "./playground.css";

const TOKEN_KEY = "anthropic-connector-token";

/** fetch with the service's token, when one was given (the service checks it on every run). */
async function call(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { ...(init.headers || {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return fetch(path, { ...init, headers });
}

async function json(path) {
  const answer = await call(path);
  const body = await answer.json();
  if (!answer.ok) throw Object.assign(new Error(body?.error?.message || answer.statusText), { envelope: body });
  return body;
}

/** Server-sent events from a fetch body, handed over one by one as they arrive. */
async function readEvents(answer, onEvent) {
  const reader = answer.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

/** The text an event adds to the reply as it streams (message and completion events). */
function deltaText(event) {
  return event?.delta?.text ?? event?.delta?.thinking ?? (event?.type === "completion" ? event.completion : "") ?? "";
}

function quote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function Copyable({ label, text, id }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="copyable">
      <div className="copyable-head">
        <span>{label}</span>
        <button type="button" className="btn btn-sm" onClick={() => navigator.clipboard?.writeText(text).then(() => setCopied(true))}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre id={id}>{text}</pre>
    </div>
  );
}

function Picker({ operations, value, onChange }) {
  const groups = useMemo(() => operations.reduce((by, op) => ({ ...by, [op.category]: [...(by[op.category] || []), op] }), {}), [operations]);
  return (
    <select id="operation" className="form-control" value={value ?? ""} onChange={(e) => onChange(e.target.value)}>
      {Object.entries(groups).map(([category, ops]) => (
        <optgroup key={category} label={category}>
          {ops.map((op) => (
            <option key={op.name} value={op.name}>
              {op.title}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

function Result({ result }) {
  if (!result) return <p className="hint">Fill the form and press Run: the output shows here.</p>;
  const { state, status, output, envelope, text, events } = result;
  return (
    <div className="result">
      <p id="status" className={`status status-${state}`}>
        {state === "running" ? "Running…" : state === "streaming" ? `Streaming: ${events.length} events` : state === "ok" ? `Done (${status})` : `Failed (${status})`}
      </p>
      {(text || state === "streaming") && (
        <div className="stream">
          <div className="label">Reply, as it arrives</div>
          <pre id="stream-text">{text}</pre>
        </div>
      )}
      {events.length > 0 && (
        <details className="events">
          <summary>{events.length} events</summary>
          <ol id="events">
            {events.map((e, i) => (
              <li key={i}>
                <code>{e.type}</code> {JSON.stringify(e).slice(0, 160)}
              </li>
            ))}
          </ol>
        </details>
      )}
      {envelope && <Copyable id="error" label={`Error: ${envelope.error?.type}`} text={JSON.stringify(envelope, null, 2)} />}
      {output !== undefined && <Copyable id="output" label="Output" text={JSON.stringify(output, null, 2)} />}
    </div>
  );
}

function Playground() {
  const [operations, setOperations] = useState([]);
  const [name, setName] = useState(() => new URLSearchParams(location.search).get("op"));
  const [op, setOp] = useState(null);
  const [choices, setChoices] = useState({});
  const [formData, setFormData] = useState({});
  const [target, setTarget] = useState("sandbox");
  const [result, setResult] = useState(null);
  const [problem, setProblem] = useState(null);
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) || "");
  const running = useRef(false);

  useEffect(() => {
    json("/operations")
      .then((ops) => {
        setOperations(ops);
        setName((current) => current ?? ops.find((o) => o.name === "create_message")?.name ?? ops[0]?.name);
        setProblem(null);
      })
      .catch((e) => setProblem(e.message));
  }, [token]);

  useEffect(() => {
    if (!name) return;
    setOp(null);
    setResult(null);
    json(`/operations/${name}`)
      .then((described) => {
        setOp(described);
        setFormData(described.samples.input);
        const fields = Object.entries(described.ui_schema).filter(([, ui]) => ui?.["ui:options"]?.dynamicOptions);
        return Promise.all(fields.map(([field]) => json(`/operations/${name}/options/${field}`).then((a) => [field, a.options])));
      })
      .then((pairs) => setChoices(Object.fromEntries(pairs || [])))
      .catch((e) => setProblem(e.message));
  }, [name, token]);

  const sandbox = target === "sandbox";
  const input = JSON.stringify(formData ?? {}, null, 2);
  const command = `anthropic-connector run ${name} input.json${sandbox ? " --sandbox" : ""}`;
  const oneLine = `echo ${quote(JSON.stringify(formData ?? {}))} | anthropic-connector run ${name} -${sandbox ? " --sandbox" : ""}`;

  async function run(data) {
    if (running.current) return;
    running.current = true;
    const streams = op.streams && data?.stream === true;
    let current = { state: "running", events: [], text: "", status: 0 };
    const show = (change) => setResult((current = { ...current, ...change }));
    show({});
    try {
      const answer = await call(`/operations/${name}/run${sandbox ? "?sandbox=1" : ""}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(streams ? { accept: "text/event-stream" } : {}) },
        body: JSON.stringify(data ?? {}),
      });
      if (streams && answer.ok) {
        show({ state: "streaming", status: answer.status });
        await readEvents(answer, (event, value) => {
          if (event === "error") show({ envelope: value });
          else show({ events: [...current.events, value], text: current.text + deltaText(value) });
        });
        show({ state: current.envelope ? "failed" : "ok" });
      } else {
        const body = await answer.json();
        show(answer.ok ? { state: "ok", status: answer.status, output: body } : { state: "failed", status: answer.status, envelope: body });
      }
    } catch (e) {
      show({ state: "failed", envelope: { error: { type: "connection_error", message: String(e) } } });
    } finally {
      running.current = false;
    }
  }

  const violations = result?.envelope?.error?.type === "validation_error" ? result.envelope.error.details || [] : [];
  return (
    <div className="playground">
      <header>
        <h1>Anthropic connector playground</h1>
        <div className="bar">
          <label>
            Operation <Picker operations={operations} value={name} onChange={(v) => setName(v)} />
          </label>
          <fieldset className="target">
            <label>
              <input type="radio" name="target" value="sandbox" checked={sandbox} onChange={() => setTarget("sandbox")} /> Sandbox
            </label>
            <label>
              <input type="radio" name="target" value="api" checked={!sandbox} onChange={() => setTarget("api")} /> Configured API
            </label>
          </fieldset>
          <label className="token">
            Service token{" "}
            <input
              type="password"
              className="form-control"
              placeholder="if started with --token"
              value={token}
              onChange={(e) => {
                sessionStorage.setItem(TOKEN_KEY, e.target.value);
                setToken(e.target.value);
              }}
            />
          </label>
        </div>
        {problem && <p className="status status-failed">{problem}</p>}
        {op && <p className="hint">{op.description}</p>}
      </header>
      <main>
        <section className="form-side">
          {op && (
            <>
              <button type="button" id="load-sample" className="btn" onClick={() => setFormData(structuredClone(op.samples.input))}>
                Load the sample
              </button>
              <ConnectorForm
                key={name}
                schema={op.input_schema}
                uiSchema={op.ui_schema}
                formData={formData}
                choices={choices}
                extraErrors={violations.length ? errorTree(violations) : undefined}
                noValidate
                onChange={({ formData: data }) => setFormData(data)}
                onSubmit={({ formData: data }) => run(data)}
              >
                <button type="submit" id="run" className="btn btn-primary">
                  Run
                </button>
              </ConnectorForm>
            </>
          )}
        </section>
        <section className="result-side">
          <Result result={result} />
          {op && (
            <div className="equivalent">
              <Copyable id="command" label="The same run from a shell (input.json below)" text={command} />
              <Copyable id="one-line" label="Or in one line" text={oneLine} />
              <Copyable id="input" label="input.json: the workflow step's input" text={input} />
            </div>
          )}
        </section>
      </main>
    </div>
  );
}

createRoot(document.getElementById("app")).render(<Playground />);
