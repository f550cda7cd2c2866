"""Tierwise: tiered customer management (客户分级管理)."""

import os

# The model fits do no real BLAS work, but SciPy's optimiser wakes OpenBLAS's threads on every
# iteration and they spin beside the fit; with one thread BG/NBD fits 1M customers in 0.56 s
# instead of 0.83 s on two cores (docs/benchmarks.md, "Models side by side"). Set before NumPy
# loads; a deployment may still choose otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
