"""The official SDK's one-shot equivalent of `anthropic-connector run create_message FILE`.

Reads the same input file, sends one request with ``anthropic.Anthropic`` (base URL and key
from ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY, as the SDK reads them) and prints the Message as
JSON, as the CLI does.
"""

import json
import sys

import anthropic


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        payload = json.load(f)
    with anthropic.Anthropic(max_retries=0) as client:
        message = client.messages.create(**payload)
    sys.stdout.write(message.to_json(indent=2) + "\n")


if __name__ == "__main__":
    main()
