"""The self-contained HTML report of a comparison.

>>> from gdlab.report import build_report, STUDY_ORDER
>>> STUDY_ORDER[0]
'learning_curve'
"""

from gdlab.report.build import STUDY_ORDER, STUDY_TITLES, build_report, figure_to_svg, format_number

__all__ = ["STUDY_ORDER", "STUDY_TITLES", "build_report", "figure_to_svg", "format_number"]
