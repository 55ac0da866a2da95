"""What gdlab's neural text models share: their input tags and their classifier outputs.

:class:`TextInputMixin`
    The scikit-learn tags of an estimator that reads a sequence of texts
    (not a 2-D table, strings, no NaN): the GPTs (:mod:`gdlab.models.gpt`),
    the encoders (:mod:`gdlab.models.encoder`) and the Hugging Face encoder
    classifier (:mod:`gdlab.models.hf`).
"""

from __future__ import annotations

__all__ = ["TextInputMixin"]


class TextInputMixin:
    """scikit-learn tags of an estimator whose ``X`` is a sequence of texts.

    ``X`` is a list (1-D array, Series or one-column DataFrame) of ``str``,
    not a 2-D numeric table, and holds no NaN (a missing text is refused).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        return tags
