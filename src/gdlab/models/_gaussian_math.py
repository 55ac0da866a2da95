"""Moved to :mod:`gdlab.distributions.gaussian`; this shim re-exports what is still imported.

Kept only while ``gdlab.models._hmm_math`` imports it (issue 13); delete it then.
"""

from gdlab.distributions.gaussian import (  # noqa: F401
    Pattern,
    missing_patterns,
    one_blas_thread,
    stacked_pattern_moments,
)
