"""The default ``gdlab compare`` with and without ``OMP_NUM_THREADS=2`` exported.

Each run is a fresh process (``gdlab compare --no-progress`` on breast_cancer,
the default models and studies, ``--n-jobs -1``), timed as a whole. Before the
runner owned the thread budget, the exported setting made every worker run 2
OpenMP/BLAS threads on a 2-core machine and the run took about 6x as long
(issue 18). Prints both times, the ratio, and the load average.

    python benchmarks/bench_compare.py [--repeats 1] [--dataset breast_cancer]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(env_extra: dict, dataset: str) -> float:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(env_extra)
    gdlab = Path(sys.executable).with_name("gdlab")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([str(gdlab), "compare", "-d", dataset, "--no-progress", "-o", out],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--dataset", default="breast_cancer")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    unset = [one_run({}, args.dataset) for _ in range(args.repeats)]
    exported = [one_run({"OMP_NUM_THREADS": "2"}, args.dataset) for _ in range(args.repeats)]
    a, b = min(unset), min(exported)
    print(f"gdlab compare -d {args.dataset} (defaults), {os.cpu_count()} cores, load average "
          f"{load0:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print(f"  no thread variable set:   {a:7.1f} s  (runs: {', '.join(f'{t:.1f}' for t in unset)})")
    print(f"  OMP_NUM_THREADS=2 set:    {b:7.1f} s  (runs: "
          f"{', '.join(f'{t:.1f}' for t in exported)})")
    print(f"  ratio (set / unset):      {b / a:7.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
