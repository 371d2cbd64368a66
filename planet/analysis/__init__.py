"""Reading worlds, never stepping them: documented statistics (``stats``), the D8 river graph
they use (``d8``), and seed sweeps (``sweep``). Baseline comparison for pytest is the public
``planet.testing``."""
