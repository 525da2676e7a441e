"""The manifest's form hints, exported as an RJSF uiSchema, and fields whose choices come from
another operation (the model dropdown): `ui-schema`, `options`, and the service's routes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx2
import pytest
import yaml
from conftest import MANIFEST, REPO
from servers import Server

from anthropic_connector.choices import collect
from anthropic_connector.errors import ConfigurationError
from anthropic_connector.manifest import load
from anthropic_connector.sandbox.models import ACTIVE


def test_ui_schema_carries_order_advanced_widgets_and_choices(cli: Callable[..., Any]) -> None:
    ui = cli("ui-schema", "create_message").out
    assert ui["ui:order"][:4] == ["model", "max_tokens", "system", "messages"] and ui["ui:order"][-1] == "*"
    # a choice of forms (a text, or blocks): the widget goes to the text form, not to the choice's select
    assert ui["system"]["oneOf"][0]["ui:widget"] == "textarea" and "ui:widget" not in ui["system"]
    assert ui["messages"]["items"]["content"]["oneOf"][0]["ui:widget"] == "textarea"
    assert ui["thinking"]["ui:enableOptionalDataFieldForType"] == ["object"]  # "Add", not its first branch filled in
    assert ui["top_p"]["ui:options"]["advanced"] and ui["betas"]["ui:options"]["advanced"]  # its own, and the manifest-wide
    assert ui["ui:definitions"]["#/definitions/mcpServerURLDefinition"]["authorization_token"]["ui:widget"] == "password"
    assert ui["model"]["ui:options"]["dynamicOptions"]["operation"] == "list_models"
    assert ui == MANIFEST.operation("create_message").describe()["ui_schema"]


def test_definitions_hints_follow_a_bundled_schema(cli: Callable[..., Any]) -> None:
    ui = cli("ui-schema", "create_message_batch").out
    assert ui["ui:definitions"]["#/definitions/create_message.input/definitions/textBlock"]["text"]["ui:widget"] == "textarea"
    assert ui["ui:definitions"]["#/definitions/create_message.input"]["system"]["oneOf"][0]["ui:widget"] == "textarea"


def test_the_connection_dialog_hides_its_secrets(cli: Callable[..., Any]) -> None:
    ui = cli("ui-schema", "connection").out
    assert ui["api_key"]["ui:widget"] == ui["auth_token"]["ui:widget"] == "password"
    assert MANIFEST.describe()["connection"]["ui_schema"] == ui


def test_every_hint_names_a_field_the_schema_has(tmp_path: Path) -> None:
    raw = yaml.safe_load((REPO / "connector.yaml").read_text())
    raw["operations"][0]["form"] = {"order": ["modle"]}
    (tmp_path / "connector.yaml").write_text(yaml.safe_dump(raw))
    for folder in ("schemas", "samples"):
        (tmp_path / folder).symlink_to(REPO / folder)
    with pytest.raises(ConfigurationError, match="form names input field 'modle'"):
        load(tmp_path / "connector.yaml")


def test_model_choices_come_from_list_models_on_the_sandbox(cli: Callable[..., Any]) -> None:
    answer = cli("options", "create_message", "model", "--sandbox").out
    assert answer["source"] == "api"
    assert [c["value"] for c in answer["options"]] == [m.id for m in sorted(ACTIVE, key=lambda m: (m.created, m.id), reverse=True)]
    assert {"value": "claude-sonnet-5-5", "label": "Claude Sonnet 5.5", "status": "active"} in answer["options"]


def test_with_no_key_the_manifests_fallback_stands_in(cli: Callable[..., Any]) -> None:
    answer = cli("options", "get_model", "model_id").out
    assert answer["source"] == "fallback" and "no API key" in answer["reason"]
    assert [c["value"] for c in answer["options"]] == [f["value"] for f in MANIFEST.operation("get_model").options["model_id"].fallback]
    assert {c["value"] for c in answer["options"]} <= {m.id for m in ACTIVE}  # the fallback is current models
    assert cli("options", "create_message", "max_tokens").code == 3


def test_deprecated_and_retiring_models_are_marked_retired_ones_left_out() -> None:
    pages = [
        {"data": [{"id": "a", "display_name": "A", "lifecycle": "active"}, {"id": "b", "display_name": "B", "lifecycle": "deprecated", "retires_at": "2027-01-05T00:00:00Z"}], "has_more": True, "last_id": "b"},
        {"data": [{"id": "c", "display_name": "C", "lifecycle": "active", "retires_at": "2027-03-01T00:00:00Z"}, {"id": "d", "display_name": "D", "lifecycle": "retired"}], "has_more": False, "last_id": "d"},
    ]
    asked: list[dict[str, Any]] = []

    async def run(name: str, payload: dict[str, Any]) -> Any:
        asked.append(payload)
        return pages[len(asked) - 1]

    answer = asyncio.run(collect(MANIFEST.operation("create_message"), "model", run))
    assert answer["options"] == [
        {"value": "a", "label": "A", "status": "active"},
        {"value": "b", "label": "B (deprecated, retires 2027-01-05)", "status": "deprecated"},
        {"value": "c", "label": "C (retires 2027-03-01)", "status": "retiring"},
    ]
    assert asked[1]["after_id"] == "b" and asked[0]["lifecycle"] == ["active", "deprecated"]


@pytest.fixture(scope="module")
def service() -> Iterator[Server]:
    with Server(["serve"]) as server:  # no key: callers bring theirs
        yield server


def test_the_service_serves_choices_and_falls_back_without_a_key(service: Server) -> None:
    with httpx2.Client(base_url=service.url, timeout=30) as client:
        described = client.get("/operations/count_tokens").json()
        assert described["ui_schema"]["model"]["ui:options"]["dynamicOptions"]["operation"] == "list_models"
        answer = client.get("/operations/count_tokens/options/model").json()
        assert answer["source"] == "fallback" and answer["options"][0]["value"] == "claude-sonnet-5-5"
        assert client.get("/operations/count_tokens/options/messages").status_code == 404


def test_the_service_lists_the_sandboxs_models() -> None:
    with Server(["serve", "--sandbox"]) as server, httpx2.Client(base_url=server.url, timeout=30) as client:
        answer = client.get("/operations/create_message/options/model").json()
        assert answer["source"] == "api" and len(answer["options"]) == len(ACTIVE)
