"""Shared test set-up."""
import sys
from pathlib import Path

# Helper modules of the tests (e.g. ``ops_stages``, whose stages are registered by module name and
# which the checkpoint kill tests also run as a script) are importable by their plain names.
sys.path.insert(0, str(Path(__file__).parent))

import atexit  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

# The suite keeps its disk cache (planet.core.diskcache: the protoplanets) in a folder of its own, made
# afresh for each run, inherited by the CLI's subprocesses and removed at the end: no test reads what an
# earlier run or the user's programs left in ~/.cache/planet, and the suite writes nothing there
_CACHE = tempfile.mkdtemp(prefix="planet-test-cache-")
os.environ["PLANET_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
