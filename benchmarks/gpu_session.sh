#!/usr/bin/env bash
# The general model's GPU measurements in one device call of about 8 minutes on one H100/H200:
# judge accuracy per GPU-minute of sprite-flow, latent-flow and latent-dit in one benchmark (the
# curves; latent-dit's last mark is its reading against the GPU bar), training clips/s per model
# (the cost table), and latent-dit's weights in parts of at most 15 MB, all copied to OUT.
#
#   bash benchmarks/gpu_session.sh "$OUT"               # on the device machine, timeout 560 s
#   SMOKE=1 bash benchmarks/gpu_session.sh /tmp/gpu      # the same plumbing on the CPU, tiny budgets
#
# What comes back (8 files, a device machine's most): the results table (.md, .json), its sample
# grid, the log, and latent-dit-large/{config.json, model.safetensors.part*}. The marks keep the
# training to 7 GPU-minutes: 1 for sprite-flow, 1 for latent-flow, 5 for latent-dit, whose
# autoencoder gets ae_share of its first leg (2.5 minutes).
set -euo pipefail
out=${1:?usage: bash benchmarks/gpu_session.sh OUT_FOLDER}
mkdir -p "$out"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
if [ "${SMOKE:-0}" = 1 ]; then
  name=gpu_session_smoke
  budget=(--device cpu --threads 2 --minutes 0.05 --marks latent-dit=0.1 --n 8 --out /tmp/gpu-session-smoke)
  rm -rf /tmp/gpu-session-smoke
else
  name=quality_per_compute_curves_gpu
  nvidia-smi -L
  budget=(--device cuda --amp bf16 --workers 12 --minutes 0.5,1 --marks latent-dit=2.5,5 --n 200)
fi
python3 benchmarks/quality_per_compute.py --models sprite-flow:default,latent-flow:large,latent-dit:large \
  "${budget[@]}" --name "$name" --copy-to "$out" --copy-weights latent-dit 2>&1 | tee "$out/log.txt"
if [ "${SMOKE:-0}" = 1 ]; then  # a smoke run's table is no result: it stays in OUT only
  rm -f benchmarks/results/"$name".md benchmarks/results/"$name".json benchmarks/results/"$name"_samples.png
fi
