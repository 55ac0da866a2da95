"""CharGPT's training recipe on the CPU: constant learning rate vs warm-up + cosine decay.

1,500 English fortunes (Debian's fortunes package, seeded permutation) train a
CharGPT (context 64, 2 layers, width 128, dropout 0.1, 6 epochs, batch 64, no
validation split) at lr 1e-3 and 3e-3, with a constant rate and with
``lr_schedule="cosine", warmup=0.05``; each prints its bits per character on
300 held-out fortunes.

    OMP_NUM_THREADS=2 python benchmarks/gpt_recipe.py
"""

import time

from gpt_cpu import split  # the same seeded permutation of the English fortunes

from gdlab.models.gpt import CharGPT

train, held = split(n_held=300, n_train=1500)
RUNS = [(1e-3, "constant", 0.0), (1e-3, "cosine", 0.05), (3e-3, "constant", 0.0),
        (3e-3, "cosine", 0.05)]
for lr, sched, warm in RUNS:
    t = time.perf_counter()
    lm = CharGPT(context_length=64, n_layer=2, n_head=4, d_model=128, dropout=0.1, max_epochs=6,
                 batch_size=64, lr=lr, validation_fraction=0.0, patience=None, device="cpu",
                 random_state=0, lr_schedule=sched, warmup=warm).fit(train)
    print(f"lr={lr} {sched:8s} warmup={warm}: held-out {lm.bits_per_char(held):.3f} "
          f"bits/char, train loss {lm.history_[-1]['train_loss']:.3f}, "
          f"{time.perf_counter() - t:.0f} s", flush=True)
