"""hmmlearn-compatible models over gdlab's HMM: ``from gdlab.hmmlearn import hmm``.

A script written for hmmlearn runs with its import line changed from
``from hmmlearn import hmm`` to ``from gdlab.hmmlearn import hmm`` (see
:mod:`gdlab.hmmlearn.hmm` for what matches and what differs).
"""

from gdlab.hmmlearn import hmm
from gdlab.hmmlearn.hmm import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM

__all__ = ["hmm", "GaussianHMM", "GMMHMM", "CategoricalHMM", "PoissonHMM"]
