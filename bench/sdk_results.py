"""The official SDK's equivalent of `anthropic-connector run get_message_batch_results IN --output OUT`.

    python bench/sdk_results.py MESSAGE_BATCH_ID OUT.jsonl

Iterates ``client.messages.batches.results(id)`` (which first GETs the batch for its
results_url; base URL and key from ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY) and writes each
result to OUT as one JSON line; prints ``{"path", "lines"}`` as the CLI does.
"""

import json
import sys

import anthropic


def main() -> None:
    batch_id, path = sys.argv[1], sys.argv[2]
    lines = 0
    with anthropic.Anthropic(max_retries=0) as client, open(path, "w", encoding="utf-8") as out:
        for result in client.messages.batches.results(batch_id):
            out.write(result.to_json(indent=None) + "\n")
            lines += 1
    sys.stdout.write(json.dumps({"path": path, "lines": lines}) + "\n")


if __name__ == "__main__":
    main()
