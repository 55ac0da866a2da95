"""The default ``gdlab compare`` with and without ``OMP_NUM_THREADS=2`` exported.

Each run is a fresh process (``gdlab compare --no-progress`` on breast_cancer,
the default models and studies, ``--n-jobs -1``), timed as a whole. Before the
runner owned the thread budget, the exported setting made every worker run 2
OpenMP/BLAS threads on a 2-core machine and the run took about 6x as long
(issue 18). Prints both times, the ratio, and the load average.

``--fits`` measures shared fits instead (issue 18 target 4): the same default
compare with fits shared (the default), with ``GDLAB_SHARE_FITS=0`` (every
cell fits its own model), and, with ``--against REV``, the code of commit
``REV`` (checked out with ``git worktree`` under /tmp and imported through
``PYTHONPATH``, same interpreter and packages), the runs interleaved so that
a change of machine load hits each alike. Prints the median of each and the
ratios.

    python benchmarks/bench_compare.py [--repeats 1] [--dataset breast_cancer]
    python benchmarks/bench_compare.py --fits --against a995cab [--repeats 3]
    python benchmarks/bench_compare.py --count-fits
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def worktree(rev: str) -> Path:
    """A detached ``git worktree`` of ``rev`` under /tmp (made once, reused)."""
    repo = Path(__file__).resolve().parents[1]
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"gdlab-bench-{sha}"
    if not path.exists():
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(path), sha],
                       check=True, capture_output=True)
    return path


def fits_main(args) -> None:
    """Shared fits against no sharing (and against an older commit), interleaved."""
    configs = {"shared fits (default)": {}, "GDLAB_SHARE_FITS=0": {"GDLAB_SHARE_FITS": "0"}}
    if args.against:
        src = worktree(args.against) / "src"
        configs[f"commit {args.against}"] = {"PYTHONPATH": str(src)}
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.repeats):
        for name, env in configs.items():
            times[name].append(one_run(env, args.dataset))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"gdlab compare -d {args.dataset} (defaults), {os.cpu_count()} cores, load average "
          f"{load0:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    base = med["shared fits (default)"]
    for name, t in times.items():
        ratio = "" if t is times["shared fits (default)"] else f"  {med[name] / base:.2f}x"
        print(f"  {name + ':':26s} {med[name]:7.1f} s median  (runs: "
              f"{', '.join(f'{x:.1f}' for x in t)}){ratio}")


def count_fits(dataset: str) -> None:
    """Fits the default compare asks for, and how many distinct ones sharing makes.

    Runs the runner's grouping with the fit replaced by recording its key (nothing
    is fitted; each cell stops at its fit and becomes an error row).
    """
    from gdlab.comparison import check_plan, default_models_for
    from gdlab.data import load
    from gdlab.studies import fits, runner

    ds = load(dataset)
    models = list(default_models_for(ds, None))
    studies, _ = check_plan(ds, models, None, quick=True)
    calls, keys, caches = [0], set(), []

    class _Counted(Exception):
        pass

    def record(cache, model, X, y):
        calls[0] += 1
        caches.append(cache)  # kept alive, so no later group's cache reuses its id
        keys.add((id(cache), cache.key(model, X, y)))
        raise _Counted

    fits.FitCache.fit = record
    rows = runner.run(studies, models, [ds], n_jobs=1, progress=False)
    # a fit is shared only inside its group (one cache): count distinct keys per cache
    print(f"{dataset}: {rows.attrs['cells']} cells, {calls[0]} fits without sharing, "
          f"{len(keys)} with")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--dataset", default="breast_cancer")
    ap.add_argument("--fits", action="store_true",
                    help="time shared fits against GDLAB_SHARE_FITS=0 (and --against REV)")
    ap.add_argument("--against", metavar="REV",
                    help="with --fits: also time the code of this commit (a git worktree)")
    ap.add_argument("--count-fits", action="store_true",
                    help="count the fits with and without sharing (fits nothing, times nothing)")
    args = ap.parse_args(argv)
    if args.count_fits:
        count_fits(args.dataset)
        return
    if args.fits:
        fits_main(args)
        return
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
