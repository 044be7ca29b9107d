"""``python -m arxiv_labeler``."""

import sys

from arxiv_labeler.cli import main

sys.exit(main())
