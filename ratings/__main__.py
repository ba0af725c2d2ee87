"""``python -m ratings``: the rating command-line tool (see :mod:`ratings.cli`).

The core's matrices are small (one row per competitor), where BLAS threads cost more than they
give, and on a busy machine they spin against each other; so this entry point asks for one BLAS
thread unless the environment already says otherwise. It must run before numpy is imported.
"""

from __future__ import annotations

import os
import sys

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from ratings.cli import main  # noqa: E402 - after the thread settings above

if __name__ == "__main__":
    sys.exit(main())
