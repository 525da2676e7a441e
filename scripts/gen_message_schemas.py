"""Write schemas/create_message.input.json and .output.json from the official SDK's types.

    .venv/bin/python scripts/gen_message_schemas.py      # rewrites both files
    .venv/bin/python scripts/gen_message_schemas.py --check   # exit 1 if they are stale

The SDK (``anthropic``, pinned by the test extra) is the source of truth: every request field,
content block, tool and response block comes from its TypedDicts and models (GA and beta),
with its docstrings as descriptions. What the SDK does not say lives in the tables below:
titles a person reads, the beta header each beta-only piece needs (found in the SDK's own
docstrings, tests, examples and guides), what the API refuses that the types do not say,
and the platform's ``{"string": ...}`` wrapper. A beta-only piece missing from BETA stops
the script, so a new SDK cannot slip a beta field in unmarked.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import anthropic.types as T
import anthropic.types.beta as B
from anthropic.types import message_create_params as ga_params
from anthropic.types.beta import message_create_params as beta_params

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sdk_schema as S  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
JSON = dict[str, Any]

# -- the beta header each beta-only piece needs --------------------------------------------
# Key: "definition.property" for a field, "definition" for a block/tool/edit type, or
# "definition.property=value" for one enum value. The evidence for each is in the SDK.
BETA: dict[str, str | None] = {
    "messageCreateParams.betas": None,  # it is the header itself
    "messageCreateParams.billing_policy": "user-profiles-billing-2026-10-01",  # the billing beta of user profiles
    "messageCreateParams.compaction": "compact-2026-09-04",  # tools.md: "With the `compact-2026-09-04` beta ... the `compaction` param"
    "messageCreateParams.context_management": "context-management-2025-06-27",  # examples/memory/basic.py
    "messageCreateParams.fallback_credit_token": "fallback-credit-2026-07-01",  # beta_fallback_credit_token_param.py
    "messageCreateParams.fallbacks": "server-side-fallback-2026-07-01",  # beta_fallback_param.py, examples/fallbacks.py
    "messageCreateParams.mcp_servers": "mcp-client-2025-11-20",
    "messageCreateParams.thread": "message-threads-2026-08-12",  # lib/threads/_thread_state.py MESSAGE_THREADS_BETA
    "outputConfig.task_budget": "task-budgets-2026-03-13",
    "systemMessage.clear_at": "mid-conversation-system-clear-at-2026-08-21",
    "systemMessage.output_config": "mid-conversation-output-config-2026-07-01",
    "thinkingConfigAdaptive.block_binding": "thinking-binding-controls-2026-08-01",  # beta_message.py
    "thinkingConfigEnabled.block_binding": "thinking-binding-controls-2026-08-01",
    "thinkingConfigAdaptive.display=updates": "thinking-display-updates-2026-08-18",
    "thinkingConfigEnabled.display=updates": "thinking-display-updates-2026-08-18",
    "serverToolUseBlock.name=advisor": "advisor-tool-2026-03-01",
    "systemMessage.content": None,  # beta adds tool_addition/tool_removal blocks, marked on those blocks
    # tools
    "advisorTool20260301": "advisor-tool-2026-03-01",
    "toolBash20241022": "computer-use-2024-10-22",
    "toolTextEditor20241022": "computer-use-2024-10-22",
    "toolComputerUse20241022": "computer-use-2024-10-22",
    "toolComputerUse20250124": "computer-use-2025-01-24",
    "toolComputerUse20251124": "computer-use-2025-11-24",
    "mcpToolset": "mcp-client-2025-11-20",
    # content blocks
    "advisorToolResultBlock": "advisor-tool-2026-03-01",
    "compactionBlock": "compact-2026-09-04",
    "fallbackBlock": "server-side-fallback-2026-07-01",
    "mcpToolUseBlock": "mcp-client-2025-11-20",
    "mcpToolResultBlock": "mcp-client-2025-11-20",
    "mcpToolListingBlock": "mcp-client-2026-09-15",  # the pinned listing of an mcp_toolset (beta_request_tool_addition_block_param.py)
    "toolAdditionBlock": "mid-conversation-tool-changes-2026-07-01",
    "toolRemovalBlock": "mid-conversation-tool-changes-2026-07-01",
    "toolChangeToolDefinition": "inline-tools-2026-09-15",  # beta_request_tool_addition_block_param.py
    # context-management edits
    "clearToolUses20250919Edit": "context-management-2025-06-27",
    "clearThinking20251015Edit": "context-management-2025-06-27",
    "compact20260112Edit": "compact-2026-01-12",  # MIGRATION.md
    # GA fields that need a header for some values
    "mcpServerURLDefinition.tool_configuration": "mcp-client-2025-04-04",
    "messageCreateParams.speed=fast": "fast-mode-2026-02-01",  # message_create_params.py: "Some models require"
}

# -- titles a person reads -----------------------------------------------------------------
BLOCK_TITLES = {
    "text": "Text",
    "image": "Image",
    "document": "PDF or text document",
    "search_result": "Search result",
    "thinking": "Thinking",
    "redacted_thinking": "Redacted thinking",
    "tool_use": "Tool call",
    "tool_result": "Tool result",
    "server_tool_use": "Server tool call",
    "web_search_tool_result": "Web search result",
    "web_fetch_tool_result": "Web fetch result",
    "advisor_tool_result": "Advisor result",
    "code_execution_tool_result": "Code execution result",
    "bash_code_execution_tool_result": "Bash code execution result",
    "text_editor_code_execution_tool_result": "Text editor code execution result",
    "tool_search_tool_result": "Tool search result",
    "mcp_tool_use": "MCP tool call",
    "mcp_tool_result": "MCP tool result",
    "mcp_tool_listing": "MCP tool listing",
    "container_upload": "Container upload",
    "compaction": "Compaction summary",
    "tool_addition": "Tool addition",
    "tool_removal": "Tool removal",
    "fallback": "Fallback boundary",
    "tool_reference": "Tool reference",
    "browser_state": "Browser state",
    "base64": "Base64 data",
    "url": "URL",
    "file": "Uploaded file (Files API)",
    "content": "Content blocks",
    "custom": "Custom tool",
    "ephemeral": "Ephemeral",
    "auto": "Auto: the model decides",
    "any": "Any: the model must use a tool",
    "tool": "Tool: the model must use this tool",
    "none": "None: no tool use",
    "enabled": "Enabled, with a token budget",
    "disabled": "Disabled",
    "adaptive": "Adaptive: the model decides",
    "between_tools": "Between tool calls",
    "json_schema": "JSON schema",
    "char_location": "Character range",
    "page_location": "Page range",
    "content_block_location": "Content block range",
    "web_search_result_location": "Web search result",
    "search_result_location": "Search result",
    "direct": "Direct",
    "code_execution_20250825": "Code execution (2025-08-25)",
    "code_execution_20260120": "Code execution (2026-01-20)",
}
DEF_TITLES = {
    "userMessage": "User message",
    "assistantMessage": "Assistant message",
    "systemMessage": "System message",
    "plainTextSource": "Plain text",
    "base64PDFSource": "Base64 PDF",
    "urlpdfSource": "PDF URL",
    "urlImageSource": "Image URL",
    "base64ImageSource": "Base64 image",
    "fileImageSource": "Uploaded image file (Files API)",
    "fileDocumentSource": "Uploaded document file (Files API)",
    "inputSchema": "Input schema",
    "metadata": "Metadata",
    "outputConfig": "Output configuration",
    "containerParams": "Container",
    "message": "Message",
    "usage": "Usage",
}
ACRONYMS = {"mcp": "MCP", "url": "URL", "id": "ID", "pdf": "PDF", "bm25": "BM25", "json": "JSON", "ttl": "TTL", "uri": "URI", "ids": "IDs"}

# -- descriptions the SDK leaves out ---------------------------------------------------------
# By "definition.property" first, then by property name.
DESCRIBE = {
    "userMessage.content": "What the user says: a text, or a list of content blocks (text, images, documents, tool results, ...).",
    "assistantMessage.content": "What the assistant said: a text, or a list of content blocks (text, thinking, tool calls, ...). A final assistant message is continued by the model.",
    "systemMessage.content": "Instructions for the model at this point of the conversation: a text or a list of text blocks.",
    "userMessage.role": "Who speaks: the user.",
    "assistantMessage.role": "Who speaks: the assistant.",
    "systemMessage.role": "Who speaks: the system (instructions placed in the conversation).",
    "textBlock.text": "The text. The API refuses an empty text or one of only white space.",
    "imageBlock.source": "Where the image comes from: base64 data, a URL, or an uploaded file.",
    "documentBlock.source": "Where the document comes from: a base64 PDF, plain text, content blocks, a URL, or an uploaded file.",
    "documentBlock.context": "Context about the document that the model reads but does not cite.",
    "base64ImageSource.data": "The image, base64-encoded.",
    "base64ImageSource.media_type": "The image format.",
    "base64PDFSource.data": "The PDF, base64-encoded.",
    "base64PDFSource.media_type": "Always application/pdf.",
    "plainTextSource.data": "The document's text.",
    "plainTextSource.media_type": "Always text/plain.",
    "contentBlockSource.content": "The document as a text or a list of text and image blocks.",
    "urlImageSource.url": "An https URL of the image.",
    "urlpdfSource.url": "An https URL of the PDF.",
    "fileImageSource.file_id": "The id of an image uploaded with the Files API.",
    "fileDocumentSource.file_id": "The id of a document uploaded with the Files API.",
    "citationsConfig.enabled": "Whether the model may cite this source.",
    "searchResultBlock.content": "The result's text, as text blocks.",
    "searchResultBlock.source": "Where the result comes from: a URL or another identifier.",
    "searchResultBlock.title": "The result's title.",
    "searchResultBlock.citations": "Whether the model may cite this result.",
    "toolUseBlock.id": "The id of this tool call, which its tool_result names in tool_use_id.",
    "toolUseBlock.input": "The arguments the model gave the tool.",
    "toolUseBlock.name": "The name of the tool called.",
    "serverToolUseBlock.id": "The id of this server tool call.",
    "serverToolUseBlock.input": "The arguments the model gave the server tool.",
    "serverToolUseBlock.name": "The server tool called.",
    "mcpToolUseBlock.id": "The id of this MCP tool call.",
    "mcpToolUseBlock.input": "The arguments the model gave the MCP tool.",
    "mcpToolUseBlock.name": "The name of the MCP tool called.",
    "toolResultBlock.content": "What the tool returned: a text, or a list of text, image, document, search result and tool reference blocks.",
    "toolResultBlock.is_error": "True when the tool failed and content describes the error.",
    "mcpToolResultBlock.content": "What the MCP tool returned: a text or a list of text blocks.",
    "mcpToolResultBlock.is_error": "True when the MCP tool failed.",
    "toolReferenceBlock.tool_name": "The name of a tool to load (deferred tools found by tool search).",
    "toolAdditionBlock.tool": "The tool to make available from this point on.",
    "toolRemovalBlock.tool": "The tool to withdraw from this point on.",
    "toolChangeToolReference.name": "The name of a tool declared in the request's tools.",
    "toolChangeMCPToolReference.name": "The name of the MCP tool.",
    "toolChangeMCPToolReference.server_name": "The MCP server that serves the tool, as mcp_servers names it.",
    "toolChangeMCPToolsetReference.server_name": "The MCP server whose toolset is meant, as mcp_servers names it.",
    "toolChangeToolDefinition.definition": "A whole tool definition, the same object a tools entry holds.",
    "webFetchURLSourceToolReference.name": "The name of the tool whose results the fetch may follow.",
    "inputSchema.properties": "The tool input's fields, as JSON Schema.",
    "responseToolInputSchema.properties": "The tool input's fields, as JSON Schema.",
    "responseToolInputSchema.required": "The names of the input fields the model must always give.",
    "responseToolChangeToolReference.name": "The name of a tool declared in the request's tools.",
    "responseToolChangeMCPToolReference.name": "The name of the MCP tool.",
    "citationConfig.enabled": "Whether citations are enabled.",
    "mcpToolListingBlock.mcp_server_name": "The MCP server the listing came from, as mcp_servers names it.",
    "inputSchema.required": "The names of the input fields the model must always give.",
    "mcpServerURLDefinition.name": "A name for the server, by which tools and blocks refer to it.",
    "mcpServerURLDefinition.url": "The server's URL.",
    "mcpServerURLDefinition.authorization_token": "An OAuth bearer token the API sends to the server.",
    "mcpServerURLDefinition.tool_configuration": "Which of the server's tools are offered (the older way; newer requests use an mcp_toolset tool).",
    "mcpServerToolConfiguration.allowed_tools": "The only tools of the server the model may use.",
    "mcpServerToolConfiguration.enabled": "Whether the server's tools are offered at all.",
    "mcpToolConfig.defer_loading": "If true, the tool is loaded only when tool search finds it.",
    "mcpToolConfig.enabled": "Whether the model may use this tool.",
    "mcpToolDefaultConfig.defer_loading": "If true, the server's tools are loaded only when tool search finds them.",
    "mcpToolDefaultConfig.enabled": "Whether the model may use the server's tools.",
    "inputTokensClearAtLeast.value": "How many input tokens to clear at the least.",
    "toolUsesKeep.value": "How many of the latest tool uses to keep.",
    "inputTokensTrigger.value": "The input token count at which the edit applies.",
    "toolUsesTrigger.value": "The tool use count at which the edit applies.",
    "thinkingTurns.value": "How many of the latest assistant turns keep their thinking.",
    "advisorResultBlock.text": "The advice the advisor model wrote.",
    "textEditorCodeExecutionViewResultBlock.content": "The viewed file's content.",
    "codeExecutionResultBlock.content": "Files the code wrote.",
    "bashCodeExecutionResultBlock.content": "Files the command wrote.",
    "encryptedCodeExecutionResultBlock.content": "Files the code wrote.",
    "webFetchBlock.content": "The fetched page, as a document block.",
    "webSearchToolResultBlock.content": "The search results, or the error the search met.",
    "webFetchToolResultBlock.content": "The fetched page, or the error the fetch met.",
    "advisorToolResultBlock.content": "The advice, or the error the advisor met.",
    "codeExecutionToolResultBlock.content": "What the code produced, or the error it met.",
    "bashCodeExecutionToolResultBlock.content": "What the command produced, or the error it met.",
    "textEditorCodeExecutionToolResultBlock.content": "What the edit produced, or the error it met.",
    "toolSearchToolResultBlock.content": "The tools found, or the error the search met.",
    # by property name
    "cited_text": "The text cited.",
    "document_index": "The index of the cited document among the request's documents.",
    "document_title": "The cited document's title.",
    "start_char_index": "Where the cited text starts, in characters.",
    "end_char_index": "Where the cited text ends (exclusive), in characters.",
    "start_page_number": "The first cited page.",
    "end_page_number": "The page after the last cited page.",
    "start_block_index": "The first cited content block.",
    "end_block_index": "The content block after the last cited one.",
    "encrypted_index": "An opaque reference to the cited search result, sent back as received.",
    "encrypted_content": "Opaque content, sent back as received.",
    "encrypted_stdout": "The program's standard output, encrypted; sent back as received.",
    "title": "The title.",
    "url": "The URL.",
    "source": "The cited source.",
    "page_age": "How old the page is, as the search engine says.",
    "tool_use_id": "The id of the tool call this result answers.",
    "caller": "What called the tool: the model directly, or code it ran.",
    "tool_id": "The id of the server tool call that made this call.",
    "error_code": "What went wrong.",
    "error_message": "The error, in words.",
    "return_code": "The program's exit code.",
    "stdout": "The program's standard output.",
    "stderr": "The program's standard error.",
    "file_id": "The id of a file in the Files API.",
    "file_type": "The kind of file viewed.",
    "num_lines": "How many lines are shown.",
    "start_line": "The first line shown.",
    "total_lines": "How many lines the file has.",
    "is_file_update": "Whether an existing file was overwritten.",
    "lines": "The changed lines, as a diff.",
    "new_lines": "How many lines the replacement has.",
    "new_start": "Where the replacement starts.",
    "old_lines": "How many lines were replaced.",
    "old_start": "Where the replaced lines started.",
    "tool_references": "The tools found, to load.",
    "stop_reason": "Why the advisor stopped.",
    "allowed_callers": "Who may call this tool: the model directly, or code the model runs with code execution.",
    "input_examples": "Example inputs that show the model how to call the tool.",
    "server_name": "The MCP server, as mcp_servers names it.",
}

# -- what the API refuses that the types do not say ------------------------------------------
CONSTRAINTS: dict[str, JSON] = {
    "messageCreateParams.model": {"minLength": 1},
    "messageCreateParams.max_tokens": {"minimum": 0},
    "messageCreateParams.stop_sequences": {"items": {"type": "string", "minLength": 1, "title": "Stop sequence", "description": "A text that stops generation."}},
    "messageCreateParams.messages": {"minItems": 1},
    "metadata.user_id": {"maxLength": 256},
    "textBlock.text": {"minLength": 1, "pattern": "^$|\\S", "examples": ["Hello, Claude"]},
    "tool.name": {"pattern": "^[a-zA-Z0-9_-]{1,128}$"},
    "thinkingConfigEnabled.budget_tokens": {"minimum": 1024},
    "toolChoiceTool.name": {"minLength": 1},
    "fallbackBlock.trigger": {
        "type": ["object", "null"],
        "$comment": "The SDK types it as any value (its docstring: any object or null); react-jsonschema-form cannot render a schema without a type, so it says object or null.",
    },
}
EXAMPLES: dict[str, list[Any]] = {
    "messageCreateParams.model": ["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"],
    "messageCreateParams.max_tokens": [1024],
    "messageCreateParams.system": ["You are a helpful programming language expert."],
    "messageCreateParams.workspace_id": ["wrkspc_011CZkZaBF1tNoB5wlCeusgy"],
    "messageCreateParams.user_profile_id": ["uprof_011CZkZCu8hGbp5mYRQgUmz9"],
    "messageCreateParams.betas": [["files-api-2025-04-14"]],
    "metadata.user_id": ["13803d75-b4b5-4c3e-b2a2-6f21399b021b"],
    "tool.name": ["get_weather"],
    "thinkingConfigEnabled.budget_tokens": [2048],
}
ENUM_LABELS: dict[str, dict[Any, str]] = {
    "messageCreateParams.service_tier": {"auto": "Auto: priority capacity when available", "standard_only": "Standard capacity only"},
    "messageCreateParams.speed": {"standard": "Standard", "fast": "Fast: more output tokens per second", None: "Not set"},
    "outputConfig.effort": {"low": "Low", "medium": "Medium", "high": "High", "xhigh": "Extra high", "max": "Max", None: "Not set"},
    "cacheControlEphemeral.ttl": {"5m": "5 minutes", "1h": "1 hour"},
    "thinkingConfigAdaptive.display": {"summarized": "Summarized", "omitted": "Omitted (signature only)", "updates": "Updates", None: "Not set"},
    "thinkingConfigEnabled.display": {"summarized": "Summarized", "omitted": "Omitted (signature only)", "updates": "Updates", None: "Not set"},
    "systemMessage.clear_at": {"next_user_message": "At the next user message", "never": "Never", None: "Not set"},
}

WRAPPER = {
    "type": "object",
    "title": "Text (platform form)",
    "description": 'The platform form of a text: {"string": text}. The connector unwraps it before sending.',
    "additionalProperties": False,
    "required": ["string"],
    "properties": {"string": {"type": "string", "title": "Text", "description": "The text."}},
}


def title_of(key: str) -> str:
    words = key.strip("_").split("_")
    out = [ACRONYMS.get(w, w) for w in words]
    out[0] = out[0][0].upper() + out[0][1:]
    return " ".join(out)


def value_title(value: str) -> str:
    """A constant as a person reads it: a block type's title, a dated version, a media type."""
    if value in BLOCK_TITLES:
        return BLOCK_TITLES[value]
    head, _, date = value.rpartition("_")
    if date.isdigit() and len(date) == 8:
        return f"{title_of(head)} ({date[:4]}-{date[4:6]}-{date[6:]})"
    kind, slash, subtype = value.partition("/")
    return f"{subtype.upper()} {kind}" if slash else title_of(value)


def def_title(name: str, schema: JSON) -> str:
    if name in DEF_TITLES:
        return DEF_TITLES[name]
    const = (schema.get("properties", {}).get("type") or {}).get("const")
    if isinstance(const, str):
        return value_title(const)
    import re

    return " ".join(w if w.isupper() else w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name[0].upper() + name[1:])).capitalize()


# -- building --------------------------------------------------------------------------------


def rename_root(defs: dict[str, JSON], old: str, new: str) -> dict[str, JSON]:
    text = json.dumps(defs).replace(f'"#/definitions/{old}"', f'"#/definitions/{new}"')
    defs = json.loads(text)
    defs[new] = defs.pop(old)
    return defs


def beta_only(ga: dict[str, JSON], beta: dict[str, JSON]) -> list[str]:
    """Where beta goes beyond GA, as BETA keys: a field or enum value that a GA type lacks, or a
    type that only beta has, reached from a GA type (what those reach is covered by them).
    Also checks that GA is a part of beta."""
    found: list[str] = []
    for name, schema in beta.items():
        if name not in ga:
            continue
        ga_props = ga[name].get("properties", {})
        for key, prop in schema.get("properties", {}).items():
            if key not in ga_props:
                found.append(f"{name}.{key}")
                continue
            found += [f"{name}.{key}={v}" for v in _values(prop) if v not in _values(ga_props[key])]
            found += [ref for ref in sorted(_refs(prop) - _refs(ga_props[key])) if ref not in ga and ref not in found]
        missing = set(ga_props) - set(schema.get("properties", {}))
        assert not missing, f"GA has {name}.{missing} that beta lacks"
    return found


def _values(prop: JSON) -> list[Any]:
    prop = prop.get("items", prop) if prop.get("type") == "array" else prop
    if "const" in prop:
        return [prop["const"]]
    return [v for v in prop.get("enum", []) if v is not None]


def _refs(node: Any) -> set[str]:
    text = json.dumps(node)
    return {part.split('"')[0] for part in text.split('"$ref": "#/definitions/')[1:]}


def walk_params() -> tuple[dict[str, JSON], dict[str, JSON]]:
    ga = S.walk(ga_params.MessageCreateParamsNonStreaming).definitions
    beta = S.walk(beta_params.MessageCreateParamsNonStreaming).definitions
    root = "messageCreateParamsNonStreaming"
    return rename_root(ga, root, "messageCreateParams"), rename_root(beta, root, "messageCreateParams")


def response_docs() -> dict[str, JSON]:
    return S.walk(T.Message, B.BetaMessage).definitions


def mark_betas(defs: dict[str, JSON], ga: dict[str, JSON]) -> None:
    unknown = [k for k in beta_only(ga, defs) if k not in BETA]
    if unknown:
        raise SystemExit("beta-only, with no beta header in BETA: " + ", ".join(unknown))
    for key, header in BETA.items():
        if header is None:
            continue
        where, _, value = key.partition("=")
        name, _, prop = where.partition(".")
        if name not in defs:
            raise SystemExit(f"BETA names {key}, which the SDK no longer has")
        if not prop:
            defs[name]["x-anthropic-beta"] = header
        elif not value:
            defs[name]["properties"][prop]["x-anthropic-beta"] = header
        else:
            _label(defs, f"{name}.{prop}")
            for branch in defs[name]["properties"][prop]["oneOf"]:
                if branch.get("const") == value:
                    branch["x-anthropic-beta"] = header


def _label(defs: dict[str, JSON], key: str) -> None:
    """An enum as a oneOf of const+title branches, so that a form shows each value's label."""
    name, prop = key.split(".")
    schema = defs[name]["properties"][prop]
    if "oneOf" in schema and all("const" in b or b.get("type") == "null" for b in schema["oneOf"]):
        return
    labels = ENUM_LABELS.get(key, {})
    values = schema.get("enum") or [schema["const"]]
    kind = schema["type"] if isinstance(schema["type"], str) else next(t for t in schema["type"] if t != "null")
    branches = [{"type": "null", "title": labels.get(None, "Not set")} if v is None else {"const": v, "title": labels.get(v, str(v))} for v in values]
    rest = {k: v for k, v in schema.items() if k not in ("enum", "const", "type")}
    defs[name]["properties"][prop] = {**rest, "type": schema["type"] if None in values else kind, "oneOf": branches}


def describe(defs: dict[str, JSON], responses: dict[str, JSON]) -> None:
    missing = []
    for name, schema in defs.items():
        schema.setdefault("title", def_title(name, schema))
        for key, prop in schema.get("properties", {}).items():
            prop.setdefault("title", title_of(key))
            if "description" in prop:
                continue
            text = DESCRIBE.get(f"{name}.{key}") or responses.get(name, {}).get("properties", {}).get(key, {}).get("description")
            if not text and key == "type" and "const" in prop:
                text = f'Always "{prop["const"]}".'
            if not text and key == "type" and "enum" in prop:
                text = "One of: " + ", ".join(f'"{v}"' for v in prop["enum"] if v is not None) + "."
            ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
            if not text and ref:
                text = defs[ref.split("/")[-1]].get("description")
            text = text or DESCRIBE.get(key)
            if text:
                prop["description"] = text
            else:
                missing.append(f"{name}.{key}")
    if missing:
        raise SystemExit("no description for: " + ", ".join(missing))


def titled_branches(node: Any, defs: dict[str, JSON]) -> None:
    """Give every inline oneOf branch a title (a $ref branch has its definition's)."""
    if isinstance(node, list):
        for item in node:
            titled_branches(item, defs)
        return
    if not isinstance(node, dict):
        return
    for branch in node.get("oneOf", []):
        if "$ref" in branch or "title" in branch:
            continue
        kind = branch.get("type")
        if kind == "null":
            branch["title"] = "Not set"
        elif kind == "string":
            branch["title"] = "Text"
        elif kind == "boolean":
            branch["title"] = "True or false"
        elif kind in ("integer", "number"):
            branch["title"] = "Number"
        elif kind == "array":
            items = branch.get("items", {})
            branch["title"] = "List of " + (
                defs[items["$ref"].split("/")[-1]]["title"].lower() if "$ref" in items else "texts" if items.get("type") == "string" else "blocks"
            )
        elif kind == "object":
            branch["title"] = "Object"
        elif "const" in branch:
            branch["title"] = str(branch["const"])
    for value in node.values():
        titled_branches(value, defs)


# -- shapes a form generator cannot fill ---------------------------------------------------------
JSON_VALUE = {
    "title": "JSON value",
    "description": "Any JSON value: an object, a list, a text, a number, true or false, or null.",
    "$comment": "Any JSON, as a choice of titled types at every level: react-jsonschema-form renders an object with no declared fields as an empty box and a schema with no type not at all; with this a person picks Object, adds fields, and picks each value's type.",
    "oneOf": [
        {"type": "object", "title": "Object", "additionalProperties": {"$ref": "#/definitions/jsonValue"}},
        {"type": "array", "title": "List", "items": {"$ref": "#/definitions/jsonValue"}},
        {"type": "string", "title": "Text"},
        {"type": "number", "title": "Number"},
        {"type": "boolean", "title": "True or false"},
        {"type": "null", "title": "Null"},
    ],
}


def each_schema(node: Any, visit: Any) -> None:
    """``visit`` every object in ``node``, innermost first."""
    for child in node if isinstance(node, list) else node.values() if isinstance(node, dict) else ():
        each_schema(child, visit)
    if isinstance(node, dict):
        visit(node)


def labelled_enum(node: JSON) -> None:
    """An enum as a oneOf of const+title branches, so that a form shows labels, not raw values."""
    if "enum" in node and "oneOf" not in node:
        values = node.pop("enum")
        node["oneOf"] = [{"type": "null", "title": "Not set"} if v is None else {"const": v, "title": value_title(str(v))} for v in values]


def free_form_object(node: JSON) -> None:
    """An object whose fields the SDK leaves open (a tool's input, a JSON schema) takes JSON values
    (JSON_VALUE): what it accepts is unchanged, and a form can add a field and fill it."""
    kinds = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    if "object" in kinds and not node.get("properties") and not isinstance(node.get("additionalProperties"), dict) and node.get("additionalProperties") is not False:
        node["additionalProperties"] = {"$ref": "#/definitions/jsonValue"}


def build_input() -> JSON:
    ga, defs = walk_params()
    responses = response_docs()
    mark_betas(defs, ga)
    for key in ENUM_LABELS:
        name, prop = key.split(".")
        if prop in defs[name]["properties"]:
            _label(defs, key)
    for key, extra in CONSTRAINTS.items():
        name, prop = key.split(".")
        target = defs[name]["properties"][prop]
        if "oneOf" in target and "minLength" in extra:
            target = next(b for b in target["oneOf"] if b.get("type") == "string")
        target.update(extra)
    for key, examples in EXAMPLES.items():
        name, prop = key.split(".")
        defs[name]["properties"][prop]["examples"] = examples
    describe(defs, responses)
    root = defs.pop("messageCreateParams")
    props = root["properties"]
    props.update(SAMPLING)
    props["stream"] = {
        "type": "boolean",
        "title": "Stream",
        "description": "Receive the message as server-sent events; the connector still returns one assembled message. The API's default is false.",
    }
    props["system"]["oneOf"].insert(1, {"$ref": "#/definitions/stringWrapper"})
    props["workspace_id"]["description"] += " Sent as the anthropic-workspace-id header."
    props["user_profile_id"]["description"] += " Sent as the anthropic-user-profile-id header."
    props["betas"]["description"] = "Beta features to turn on, by name; the connector merges them into the anthropic-beta header with those the fields below need."
    props["betas"]["items"].update(title="Beta name", description="A beta's name, as the anthropic-beta header takes it.")
    # Values that travel as headers: printable ASCII (a header cannot carry more); no comma in a
    # beta name, since the header joins them with commas. The data-plane schemas say the same.
    for name in ("workspace_id", "user_profile_id"):
        props[name].update(minLength=1, pattern=HEADER_TEXT)
    props["betas"]["items"].update(minLength=1, pattern=BETA_NAME)
    props["betas"]["uniqueItems"] = True
    for name in ("userMessage", "assistantMessage", "systemMessage"):
        defs[name]["properties"]["content"]["oneOf"].insert(1, {"$ref": "#/definitions/stringWrapper"})
    user_content = defs["userMessage"]["properties"]["content"]
    for branch in user_content["oneOf"]:
        branch.update({"minLength": 1} if branch.get("type") == "string" else {"minItems": 1} if branch.get("type") == "array" else {})
    user_content["description"] += " It must not be empty."
    defs["stringWrapper"] = copy.deepcopy(WRAPPER)
    order = [k for k in FIRST if k in props] + sorted(k for k in props if k not in FIRST and k not in LAST) + [k for k in LAST if k in props]
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Create Message",
        "description": "Send a structured list of input messages (POST /v1/messages); the model generates the next message in the conversation. Covers the whole Messages API, GA and beta: a field, tool or block marked x-anthropic-beta needs that beta, which the connector adds to the anthropic-beta header.",
        "$comment": "Generated by scripts/gen_message_schemas.py from the anthropic SDK's types; edit the script, not this file.",
        "type": "object",
        "additionalProperties": False,
        "required": ["model", "messages", "max_tokens"],
        "properties": {k: props[k] for k in order},
        "definitions": dict(sorted(defs.items())),
    }
    titled_branches(schema, schema["definitions"])
    bound_integers(schema)
    each_schema(schema, labelled_enum)
    each_schema(schema, free_form_object)
    schema["definitions"]["jsonValue"] = copy.deepcopy(JSON_VALUE)
    schema["definitions"] = dict(sorted(schema["definitions"].items()))
    return schema


HEADER_TEXT = "^[\\x21-\\x7e]+$"
BETA_NAME = "^[\\x21-\\x2b\\x2d-\\x7e]+$"

# The largest integer a JSON number carries exactly. An integer field without a bound of its
# own gets it, so that 1e300 (a float JSON reads as a whole number) is refused as the schema
# says rather than sent.
MAX_JSON_INTEGER = 2**53 - 1


def bound_integers(node: Any) -> None:
    """Give every integer schema without a maximum the largest exact JSON integer."""
    if isinstance(node, dict):
        kinds = node.get("type")
        if (kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds)) and "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = MAX_JSON_INTEGER
        for value in node.values():
            bound_integers(value)
    elif isinstance(node, list):
        for item in node:
            bound_integers(item)


FIRST = ["model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences", "stream", "metadata",
         "tools", "tool_choice", "thinking", "output_config", "cache_control", "service_tier", "speed", "inference_geo", "container", "diagnostics"]
LAST = ["workspace_id", "user_profile_id", "betas"]
SAMPLING = {
    "temperature": {
        "type": "number",
        "title": "Temperature",
        "description": "Randomness of the output, from 0.0 (analytical) to 1.0 (creative); the API's default is 1.0. The SDK now sends it through extra_body. Not accepted under API version 2026-10-21.",
        "minimum": 0,
        "maximum": 1,
        "examples": [0.7],
    },
    "top_p": {
        "type": "number",
        "title": "Top P",
        "description": "Nucleus sampling: only the most likely tokens whose probabilities add up to top_p are considered. Advanced: use temperature or top_p, not both. Not accepted under API version 2026-10-21.",
        "minimum": 0,
        "maximum": 1,
    },
    "top_k": {
        "type": "integer",
        "title": "Top K",
        "description": "Only sample from the K most likely tokens. Advanced. Not accepted under API version 2026-10-21.",
        "minimum": 0,
    },
}


def build_output() -> JSON:
    ga = S.walk(T.Message).definitions
    defs = S.walk(B.BetaMessage).definitions
    beta_only(ga, defs)  # checks that the GA Message is a part of the beta one
    describe(defs, {})
    root = defs.pop("message")
    props = root["properties"]
    props["model"]["examples"] = EXAMPLES["messageCreateParams.model"]
    props["content"]["items"]["$comment"] = "One branch per block type the SDK knows; the last takes a type the API adds later, so that an answer is never refused for a new block."
    props["parsed_output"] = {
        "title": "Parsed output",
        "description": "Only when the request asks for structured output (output_config.format, type json_schema): the reply's text as JSON, checked against that schema. Added by the connector, not sent by the API; the name is the official SDK's (messages.parse). A reply that cannot be such data is a structured_output_error instead.",
    }
    # Always sent: the SDK types stop_reason and stop_sequence as optional only because they may be null.
    # usage is always sent too, but the seed's sample answer (tests/seed) has none, so it stays optional here.
    required = [k for k in ("id", "type", "role", "content", "model", "stop_reason", "stop_sequence") if k in props]
    order = required + sorted(k for k in props if k not in required)
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Message",
        "description": "The API's Message object, unchanged (streamed requests are assembled into the same shape). New fields the API adds are passed through.",
        "$comment": "Generated by scripts/gen_message_schemas.py from the anthropic SDK's Message and BetaMessage; usage is always sent by the API but not required here, because the seed sample answer has none.",
        "type": "object",
        "additionalProperties": True,
        "required": required,
        "properties": {k: props[k] for k in order},
        "definitions": dict(sorted(defs.items())),
    }
    titled_branches(schema, schema["definitions"])
    open_values(schema)
    each_schema(schema, lambda node: open_union(node, schema["definitions"]))
    return schema


def open_union(node: JSON, defs: dict[str, JSON]) -> None:
    """A choice of objects told apart by their ``type`` (an answer's blocks, a text block's
    citations, a tool result's content) given a last branch for a type the API adds later, so
    that an answer with a new citation or result type is passed through, not refused. A known
    type stays held to its own branch, and a choice that also takes an untagged object is left
    as it is (a new type could be that object too)."""
    branches = node.get("oneOf")
    if not isinstance(branches, list):
        return
    objects = [_resolve_def(defs, b) if "$ref" in b else b for b in branches if b.get("type") != "null"]
    known = [_tag(b) for b in objects]
    if len(known) < 2 or None in known:
        return
    branches.append(
        {
            "title": "Another type",
            "description": "An object of a type this schema does not list yet, passed through as the API sent it.",
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "title": "Type", "description": "Its type."}},
            "not": {"properties": {"type": {"enum": known}}},
        }
    )


def _tag(branch: JSON) -> str | None:
    """The ``type`` an object branch requires to be one constant string, or None."""
    tag = branch.get("properties", {}).get("type", {}).get("const") if branch.get("type") == "object" and "type" in branch.get("required", []) else None
    return tag if isinstance(tag, str) else None


def open_values(node: Any) -> None:
    """Each enum of an answer's values (a stop reason, an error code, a service tier) made open:
    the API adds values over time, and an answer it sent is passed through, not refused. The
    known values stay, as examples and in the description. A ``type`` that tells a union's
    branches apart stays closed, and so does the catch-all block's ``not``."""
    if isinstance(node, list):
        for item in node:
            open_values(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, prop in value.items():
                if name != "type":
                    open_values(prop)
        elif key != "not":
            open_values(value)
    values = node.get("enum")
    if isinstance(values, list) and all(isinstance(v, str) or v is None for v in values):
        known = [v for v in node.pop("enum") if v is not None]
        node.setdefault("type", ["string", "null"] if None in values else "string")
        said = str(node.get("description", "")).rstrip()
        node["description"] = (said + " " if said else "") + "Known values: " + ", ".join(known) + "; one the API adds later is passed through as it is."
        node["examples"] = known


def _resolve_def(defs: dict[str, JSON], branch: JSON) -> JSON:
    return defs[branch["$ref"].split("/")[-1]]


def write(path: Path, schema: JSON) -> bool:
    """Write ``schema`` to ``path``; whether it changed."""
    text = json.dumps(schema, indent=1, ensure_ascii=False) + "\n"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old != text:
        path.write_text(text, encoding="utf-8")
    return old != text


def main(argv: list[str]) -> int:
    targets = {REPO / "schemas/create_message.input.json": build_input(), REPO / "schemas/create_message.output.json": build_output()}
    if "--check" in argv:
        stale = [str(p) for p, s in targets.items() if not p.exists() or json.loads(p.read_text(encoding="utf-8")) != s]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    for path, schema in targets.items():
        print(("wrote " if write(path, schema) else "unchanged ") + str(path.relative_to(REPO)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
