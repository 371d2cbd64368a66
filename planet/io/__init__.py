"""Files beyond the state itself: exports (NetCDF, NumPy, 16-bit heightmaps) and checkpoints."""
