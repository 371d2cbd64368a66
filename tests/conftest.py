"""Shared test set-up."""
import sys
from pathlib import Path

# Helper modules of the tests (e.g. ``ops_stages``, whose stages are registered by module name and
# which the checkpoint kill tests also run as a script) are importable by their plain names.
sys.path.insert(0, str(Path(__file__).parent))
