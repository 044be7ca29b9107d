"""``python -m arxiv_labeler``."""

import sys

from arxiv_labeler.cli import main

if __name__ == "__main__":  # Airflow's plugin loader imports every file under plugins/: do nothing then
    sys.exit(main())
