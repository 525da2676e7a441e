"""`python -m anthropic_connector` is the `anthropic-connector` command."""

import sys

from .cli import main

sys.exit(main())
