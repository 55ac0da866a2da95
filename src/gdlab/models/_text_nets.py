"""What gdlab's neural text models share: their input tags and their classifier outputs.

:class:`TextInputMixin`
    The scikit-learn tags of an estimator that reads a sequence of texts
    (not a 2-D table, strings, no NaN): the GPTs (:mod:`gdlab.models.gpt`),
    the encoders (:mod:`gdlab.models.encoder`) and the Hugging Face encoder
    classifier (:mod:`gdlab.models.hf`).
:class:`TextLogitClassifierMixin`
    The classifier methods of a network that maps texts to class logits,
    ``decision_function`` included: ``GPTClassifier``, ``BERTClassifier``,
    ``HFEncoderClassifier``.
"""

from __future__ import annotations

import numpy as np

from gdlab.nn import LogitClassifierMixin

__all__ = ["TextInputMixin", "TextLogitClassifierMixin"]


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


class TextLogitClassifierMixin(LogitClassifierMixin):
    """:class:`gdlab.nn.LogitClassifierMixin` plus ``decision_function``: the class logits.

    A text classifier's ``decision_function`` is its network's logits, one
    column per class, for two classes too. (It is not in
    :class:`~gdlab.nn.LogitClassifierMixin` itself: a binary classifier of
    tabular rows must give a 1-D ``decision_function`` to pass
    scikit-learn's estimator checks, which do not apply to texts.) The
    subclass supplies ``_logits(X)``.
    """

    def decision_function(self, X) -> np.ndarray:
        """Class logits of each text.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, n_classes)
        """
        return self._logits(X)
