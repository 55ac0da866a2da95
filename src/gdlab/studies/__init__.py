"""Studies: measured trade-offs between generative and discriminative models.

See :mod:`gdlab.studies.base` for the row schema and the Study protocol.
"""

from gdlab.studies.base import ROW_COLUMNS, Cell, Study

__all__ = ["ROW_COLUMNS", "Cell", "Study"]
