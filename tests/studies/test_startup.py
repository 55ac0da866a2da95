"""What a run imports before its first fit: the default compare's process and workers."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_and_runner_import_without_torch():
    # torch takes seconds to import, in the main process and in every worker; the
    # default (tabular) compare needs it only for the samples study's feature network,
    # which imports it when it first trains one
    code = ("import sys, gdlab, gdlab.cli, gdlab.studies.runner, gdlab.report\n"
            "from gdlab.studies.registry import STUDIES\n"
            "[s.study_class() for s in STUDIES.values()]\n"
            "print(sorted(m for m in ('torch',) if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
