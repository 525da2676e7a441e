"""The DAG that tests/test_airflow.py runs with a real Airflow (``dag.test()``) on the sandbox.

Run as a script inside .airflow-venv, from a dags folder of its own: it runs the DAG, then the
README's DAG (readme_dag.py, which the test copies beside it), asks Airflow what it knows of the
provider and what the hook's "Test" button says, and prints one line ``REPORT {json}`` for the
test to read. The connections come from the environment (AIRFLOW_CONN_ANTHROPIC_CONNECTOR_DEFAULT,
and AIRFLOW_CONN_ANTHROPIC_CONNECTOR_SLOW, a sandbox whose batches take a while, for the
batches here), the results folder from BATCH_RESULTS.
"""

from __future__ import annotations

import datetime
import json
import os

from airflow.sdk import DAG

from anthropic_connector.airflow.batch import AnthropicConnectorBatchOperator
from anthropic_connector.airflow.operators import AnthropicConnectorOperator

MODEL = {"model": "claude-sonnet-5-5", "max_tokens": 64}
SLOW = "anthropic_connector_slow"


def requests(count: int) -> list[dict[str, object]]:
    return [{"custom_id": f"doc-{i}", "params": {**MODEL, "messages": [{"role": "user", "content": f"Summarise document {i}."}]}} for i in range(count)]


with DAG("anthropic_connector_at_scale", schedule=None, start_date=datetime.datetime(2026, 1, 1), catchup=False) as dag:
    ask = AnthropicConnectorOperator(
        task_id="ask",
        operation="create_message",
        input={**MODEL, "messages": [{"role": "user", "content": "Name one colour."}]},
    )
    follow_up = AnthropicConnectorOperator(
        task_id="follow_up",
        operation="create_message",
        input={**MODEL, "messages": [{"role": "user", "content": "Say more about: {{ ti.xcom_pull(task_ids='ask')['content'][0]['text'] }}"}]},
    )
    invalid = AnthropicConnectorOperator(
        task_id="invalid",
        operation="create_message",
        input={"model": "claude-sonnet-5-5", "messages": [{"role": "robot", "content": "Hi"}]},
    )
    batch = AnthropicConnectorBatchOperator(task_id="batch", conn_id=SLOW, requests=requests(3), poll_interval=0.2, timeout=120)
    batch_to_file = AnthropicConnectorBatchOperator(
        task_id="batch_to_file",
        conn_id=SLOW,
        requests=requests(20),
        poll_interval=0.2,
        timeout=120,
        max_xcom_bytes=2000,
        results_path=os.path.join(os.environ.get("BATCH_RESULTS", "/tmp"), "{{ ti.task_id }}.jsonl"),
    )
    ask >> follow_up


def outcome(dag: DAG, run: object) -> dict[str, object]:
    """Each task's state and XComs after ``dag.test()``, read from Airflow's database."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(XComModel).filter(XComModel.dag_id == dag.dag_id, XComModel.run_id == run.run_id).all()  # type: ignore[attr-defined]
        xcoms = {f"{row.task_id}.{row.key}": XComModel.deserialize_value(row) for row in rows}
    return {"states": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}, "xcoms": xcoms}  # type: ignore[attr-defined]


def provider() -> dict[str, object]:
    """What Airflow's providers manager found, and the hook's "Test" button."""
    from airflow.providers_manager import ProvidersManager

    from anthropic_connector.airflow.hooks import AnthropicConnectorHook

    providers = ProvidersManager()
    info = providers.providers.get("anthropic-connector")
    hook = providers.hooks.get("anthropic_connector")
    return {
        "package": info.data["package-name"] if info else None,
        "hook": hook.hook_class_name if hook else None,
        "conn_fields": sorted(info.data["connection-types"][0]["conn-fields"]) if info else None,
        "test_connection": AnthropicConnectorHook().test_connection(),
    }


if __name__ == "__main__":
    import readme_dag  # beside this file in the dags folder

    found = {"dag": outcome(dag, dag.test()), "readme": outcome(readme_dag.dag, readme_dag.dag.test()), "provider": provider()}
    print("REPORT " + json.dumps(found, default=str), flush=True)
