"""gdlab: generative and discriminative models side by side on your own data.

>>> import gdlab
>>> sorted(gdlab.capabilities(gdlab.models.GaussianNB()))  # doctest: +NORMALIZE_WHITESPACE
['classify', 'conditional_sample', 'density', 'missing_features', 'partial_fit', 'sample']
"""

from gdlab import data, models
from gdlab._version import __version__
from gdlab.advice import Advice, advise
from gdlab.base import ClassConditional
from gdlab.capability_tags import CAPABILITIES, capabilities
from gdlab.comparison import compare
from gdlab.models.registry import available, make
from gdlab.persistence import load, save

__all__ = [
    "Advice",
    "CAPABILITIES",
    "ClassConditional",
    "advise",
    "available",
    "capabilities",
    "compare",
    "data",
    "load",
    "make",
    "models",
    "save",
    "__version__",
]
