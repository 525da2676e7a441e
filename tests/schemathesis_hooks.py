"""Schemathesis hooks for tests/test_schemathesis.py: a server error is the service's own 500, and
a schema-valid input is accepted unless the connector's rules refuse it.

A 502 or 504 is the service telling the truth about its upstream (the sandbox refuses what a
schema cannot say, such as a batch whose custom_ids repeat), documented in the OpenAPI
document with the envelope, and checked against it like any other answer.

A 422 for an input its schema accepts is the connector's rules (rules.json: a thinking budget
not below max_tokens, a tool_choice naming no tool, ...), which no schema can say: it must be
exactly their verdict, re-checked here, and nothing else."""

from __future__ import annotations

from typing import Any

import schemathesis

ACCEPTED = (401, 403, 404, 409, 429)  # schemathesis' own list for positive data, beside 2xx, 3xx and 5xx


@schemathesis.check
def no_internal_error(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code == 500:
        raise AssertionError(f"the service failed (500): {response.text[:500]}")
    if response.status_code >= 500 and response.status_code not in (502, 504):
        raise AssertionError(f"an undocumented server status {response.status_code}")


@schemathesis.check
def schema_valid_inputs_are_accepted_unless_a_rule_refuses(ctx: Any, response: Any, case: Any) -> None:
    status = response.status_code
    if case.meta is None or not case.meta.generation.mode.is_positive or status < 400 or status >= 500 or status in ACCEPTED:
        return
    from anthropic_connector.connection import Connection
    from anthropic_connector.manifest import load
    from anthropic_connector.rules import Facts, checks

    manifest = load()
    op = manifest.operations.get(case.operation.path.split("/")[2])
    refused = response.json()["error"]["details"] if status == 422 else None
    if op is None or op.validator.errors(case.body) or refused is None:
        raise AssertionError(f"valid data should have been accepted, got {status}: {response.text[:500]}")
    verdict = checks(op).violations(case.body, Facts.at_hand(Connection.from_mapping({}, manifest), sandbox=True))
    assert refused == verdict, f"a schema-valid input refused for other reasons than the rules: {refused} (the rules: {verdict})"
