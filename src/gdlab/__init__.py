"""gdlab: generative and discriminative models side by side on your own data."""

from gdlab.base import CAPABILITIES, ClassConditional, capabilities

__version__ = "0.1.0"

__all__ = ["CAPABILITIES", "ClassConditional", "capabilities", "__version__"]
