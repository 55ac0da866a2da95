"""The one training loop: losses fall, early stopping restores the best weights,
seeding reproduces a run, checkpoints resume, callbacks stop, bad settings fail early."""

import json

import numpy as np
import pytest
import torch

from gdlab.nn import Callback, TrainConfig, Trainer, load_checkpoint, lr_factor, resolve_device
from gdlab.nn.checkpoints import CHECKPOINT_FILES


def _regression(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=g)
    y = X @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(n, generator=g)
    return X, y


def _mse(module, batch):
    X, y = batch
    return ((module(X).squeeze(1) - y) ** 2).mean()


def _net(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(dropout),
                               torch.nn.Linear(8, 1))


def test_loss_decreases_and_history_has_one_entry_per_epoch():
    X, y = _regression()
    result = Trainer(TrainConfig(max_epochs=30, lr=0.02, random_state=0, patience=None)).fit(
        _net(), (X, y), _mse)
    losses = [h["train_loss"] for h in result.history]
    assert len(result.history) == 30
    assert losses[-1] < 0.2 * losses[0]
    assert {"epoch", "train_loss", "val_loss", "seconds"} <= set(result.history[0])
    assert not result.stopped_early


def test_same_seed_same_run_and_global_rng_untouched():
    X, y = _regression()
    cfg = TrainConfig(max_epochs=5, random_state=3)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b = _net(), _net()
    torch.manual_seed(123)
    ha = Trainer(cfg).fit(a, (X, y), _mse).history
    after = torch.rand(1)
    hb = Trainer(cfg).fit(b, (X, y), _mse).history
    assert [h["train_loss"] for h in ha] == [h["train_loss"] for h in hb]
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert torch.equal(before, after)  # training forked the global RNG


def test_early_stopping_restores_the_best_weights():
    X, y = _regression(n=60)
    seen = {}

    class Spy(Callback):
        def on_epoch_end(self, trainer, logs):
            seen[logs["epoch"]] = {k: v.clone() for k, v in trainer.module.state_dict().items()}

    # a large learning rate makes the validation loss bounce, so the best epoch is not the last
    cfg = TrainConfig(max_epochs=40, lr=0.3, patience=3, random_state=0, batch_size=8)
    net = _net()
    result = Trainer(cfg, callbacks=[Spy()]).fit(net, (X, y), _mse)
    vals = [h["val_loss"] for h in result.history]
    assert result.best_epoch == int(np.argmin(vals)) + 1
    for k, v in net.state_dict().items():
        assert torch.equal(v, seen[result.best_epoch][k])
    if result.stopped_early:
        assert len(vals) - result.best_epoch == 3


def test_callback_can_stop_training():
    class StopAtTwo(Callback):
        def on_epoch_end(self, trainer, logs):
            return logs["epoch"] == 2

    X, y = _regression()
    result = Trainer(TrainConfig(max_epochs=10, random_state=0), callbacks=[StopAtTwo()]).fit(
        _net(), (X, y), _mse)
    assert len(result.history) == 2 and result.stopped_early


def test_checkpoint_resume_continues_where_it_stopped(tmp_path):
    X, y = _regression()
    cfg = dict(lr=0.01, random_state=0, validation_fraction=0.0)
    full = _net(dropout=0.2)  # dropout draws random numbers: the RNG state must resume too
    Trainer(TrainConfig(max_epochs=6, **cfg)).fit(full, (X, y), _mse)

    part = _net(dropout=0.2)
    Trainer(TrainConfig(max_epochs=3, **cfg), checkpoint_dir=tmp_path).fit(part, (X, y), _mse)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(CHECKPOINT_FILES)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["epoch"] == 3 and len(state["history"]) == 3

    resumed = _net(seed=99, dropout=0.2)  # all state from the checkpoint
    result = Trainer(TrainConfig(max_epochs=6, **cfg), checkpoint_dir=tmp_path).fit(
        resumed, (X, y), _mse, resume=True)
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4, 5, 6]
    # an interrupted and resumed run ends with exactly the weights of an uninterrupted one
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_checkpoint_round_trips_weights_and_optimizer(tmp_path):
    from gdlab.nn import save_checkpoint

    net = _net()
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    X, y = _regression()
    _mse(net, (X, y)).backward()
    opt.step()
    save_checkpoint(tmp_path, net, [opt], epoch=1, history=[{"epoch": 1}], config={})
    net2 = _net(seed=5)
    opt2 = torch.optim.Adam(net2.parameters(), lr=0.5)
    state = load_checkpoint(tmp_path, net2, [opt2])
    assert state["epoch"] == 1
    for a, b in zip(net.parameters(), net2.parameters(), strict=True):
        assert torch.equal(a, b)
    assert opt2.param_groups[0]["lr"] == 0.1
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert all(torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"]) for k in s1)


def test_corrupted_or_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no complete checkpoint"):
        load_checkpoint(tmp_path, _net())
    X, y = _regression()
    Trainer(TrainConfig(max_epochs=1, random_state=0), checkpoint_dir=tmp_path).fit(
        _net(), (X, y), _mse)
    (tmp_path / "module.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="corrupted"):
        load_checkpoint(tmp_path, _net())
    with pytest.raises(ValueError, match="checkpoint_dir"):
        Trainer(TrainConfig(max_epochs=1)).fit(_net(), (X, y), _mse, resume=True)


def test_custom_step_with_two_optimizers():
    X, y = _regression()
    net = _net()
    calls = []

    def optimizers(m):
        return [torch.optim.SGD(m[0].parameters(), lr=0.01),
                torch.optim.SGD(m[3].parameters(), lr=0.01)]

    def step(module, batch, opts, backward):
        for opt in opts:
            opt.zero_grad()
            loss = _mse(module, batch)
            backward(loss)
            opt.step()
        calls.append(1)
        return {"loss": loss.detach()}

    result = Trainer(TrainConfig(max_epochs=2, batch_size=50, validation_fraction=0.0,
                                 random_state=0)).fit(net, (X, y), step=step,
                                                      optimizers=optimizers)
    assert len(calls) == 2 * 4 and len(result.history) == 2


def test_weight_decay_shrinks_weight_matrices_only():
    # a loss with zero gradient: AdamW's only change is its decoupled decay
    X, y = _regression()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 1))
    before = {k: v.detach().clone() for k, v in net.state_dict().items()}
    Trainer(TrainConfig(max_epochs=3, lr=0.01, weight_decay=1.0, validation_fraction=0.0,
                        random_state=0)).fit(net, (X, y), lambda m, b: 0.0 * _mse(m, b))
    after = net.state_dict()
    for name, value in before.items():
        if value.dim() >= 2:
            assert after[name].abs().sum() < value.abs().sum(), name
        else:  # biases and the LayerNorm scale are not decayed
            torch.testing.assert_close(after[name], value, rtol=0, atol=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_epochs=0), "max_epochs"),
    (dict(batch_size=-1), "batch_size"),
    (dict(lr=0.0), "lr"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(patience=0), "patience"),
])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TrainConfig(**kwargs)


def test_bad_data_and_devices_raise():
    X, y = _regression()
    with pytest.raises(ValueError, match="same number of rows"):
        Trainer(TrainConfig(max_epochs=1)).fit(_net(), (X, y[:-1]), _mse)
    with pytest.raises(TypeError, match="torch tensors"):
        Trainer(TrainConfig(max_epochs=1)).fit(_net(), (X.numpy(), y), _mse)
    with pytest.raises(TypeError, match="loss function"):
        Trainer(TrainConfig(max_epochs=1)).fit(_net(), (X, y))
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_divergence_is_reported():
    X, y = _regression()

    def nan_loss(module, batch):
        return _mse(module, batch) * float("nan")

    with pytest.raises(FloatingPointError, match="diverged"):
        Trainer(TrainConfig(max_epochs=2, random_state=0)).fit(_net(), (X, y), nan_loss)


def test_auto_device_is_cuda_when_present_else_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and torch.backends.mps.is_available():
        expected = "mps"
    assert resolve_device("auto").type == expected
    X, y = _regression()
    result = Trainer(TrainConfig(max_epochs=1, random_state=0)).fit(_net(), (X, y), _mse)
    assert result.device.type == expected


def test_resume_with_validation_ends_like_an_uninterrupted_run(tmp_path):
    """Best weights, early-stopping counter and split all survive the checkpoint."""
    X, y = _regression(n=60)
    cfg = dict(lr=0.3, batch_size=8, random_state=0)  # a bouncy validation loss
    full = _net()
    a = Trainer(TrainConfig(max_epochs=30, patience=None, **cfg)).fit(full, (X, y), _mse)
    part = _net()
    Trainer(TrainConfig(max_epochs=15, patience=None, **cfg), checkpoint_dir=tmp_path).fit(
        part, (X, y), _mse)
    resumed = _net(seed=7)
    b = Trainer(TrainConfig(max_epochs=30, patience=None, **cfg), checkpoint_dir=tmp_path).fit(
        resumed, (X, y), _mse, resume=True)
    assert a.best_epoch == b.best_epoch
    assert [h["val_loss"] for h in a.history] == pytest.approx(
        [h["val_loss"] for h in b.history], rel=1e-6, abs=1e-7)
    for p, q in zip(full.parameters(), resumed.parameters(), strict=True):  # the best weights
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_resume_keeps_the_patience_count_and_an_unseeded_split(tmp_path):
    X, y = _regression(n=60)
    cfg = dict(lr=0.3, batch_size=8, patience=5)
    seeded = Trainer(TrainConfig(max_epochs=40, random_state=0, **cfg)).fit(_net(), (X, y), _mse)
    Trainer(TrainConfig(max_epochs=seeded.best_epoch + 2, random_state=0, **cfg),
            checkpoint_dir=tmp_path / "a").fit(_net(), (X, y), _mse)
    again = Trainer(TrainConfig(max_epochs=40, random_state=0, **cfg),
                    checkpoint_dir=tmp_path / "a").fit(_net(), (X, y), _mse, resume=True)
    assert len(again.history) == len(seeded.history)  # stops where the uninterrupted run did

    splits = []
    spy = Trainer._split

    def recording(self, n, generator):
        out = spy(self, n, generator)
        splits.append(sorted(out[1].tolist()))
        return out

    Trainer._split = recording
    try:
        Trainer(TrainConfig(max_epochs=2, random_state=None), checkpoint_dir=tmp_path / "b").fit(
            _net(), (X, y), _mse)
        Trainer(TrainConfig(max_epochs=4, random_state=None), checkpoint_dir=tmp_path / "b").fit(
            _net(), (X, y), _mse, resume=True)
    finally:
        Trainer._split = spy
    assert splits[0] == splits[1]  # the resumed run validates on the same rows


def test_large_seeds_train():
    X, y = _regression()
    Trainer(TrainConfig(max_epochs=1, random_state=2**62)).fit(_net(), (X, y), _mse)


def test_standardization_refuses_values_whose_variance_overflows():
    from gdlab.nn.estimator import standardization

    X = np.ones((5, 3))
    X[:, 1] = np.arange(5.0)
    X[2, 1] = 1e300  # its square overflows: the scale would be inf and every value 0
    with pytest.raises(ValueError, match=r"MyNet cannot take column 1 .*1e\+300"):
        standardization(X, estimator="MyNet")
    X[2, 1] = -1e151
    with pytest.raises(ValueError, match="column 1"):
        standardization(X, per_feature=False)
    # below the limit the scale is finite and the standardized rows fit in float32
    X[2, 1] = 1e100
    mean, scale = standardization(X)
    assert np.isfinite(mean).all() and np.isfinite(scale).all()
    assert np.isfinite(((X - mean) / scale).astype(np.float32)).all()


@pytest.mark.parametrize("n", [1, 3, 9])
def test_too_few_rows_for_a_validation_row_train_on_all_without_stopping(n):
    """validation_fraction * n < 1 holds out no row: no split, no early stopping."""
    X, y = _regression()
    cfg = TrainConfig(max_epochs=4, validation_fraction=0.1, patience=1, random_state=0)
    result = Trainer(cfg).fit(_net(), (X[:n], y[:n]), _mse)
    assert len(result.history) == 4 and not result.stopped_early
    assert all("val_loss" not in h for h in result.history)
    assert result.best_epoch == 4
    # the same run as asking for no split
    plain = Trainer(TrainConfig(max_epochs=4, validation_fraction=0.0, patience=1,
                                random_state=0)).fit(_net(), (X[:n], y[:n]), _mse)
    assert [h["train_loss"] for h in result.history] == [h["train_loss"] for h in plain.history]
    # ten rows hold one out
    ten = Trainer(cfg).fit(_net(), (X[:10], y[:10]), _mse)
    assert "val_loss" in ten.history[0]


# ------------------------------------------------- learning-rate schedule and precision


def test_lr_factor_warms_up_linearly_then_decays_along_a_cosine_to_a_tenth():
    total = 50
    f = [lr_factor(s, total, "cosine", warmup=0.1) for s in range(total)]
    np.testing.assert_allclose(f[:5], [0.2, 0.4, 0.6, 0.8, 1.0], rtol=0, atol=1e-12)
    assert f[5] == pytest.approx(1.0, abs=1e-12)  # the cosine starts at the base rate
    assert f[-1] == pytest.approx(0.1, abs=1e-12)  # and ends at a tenth of it
    assert all(a >= b for a, b in zip(f[5:], f[6:], strict=False))  # never rises after warm-up
    mid = 5 + (total - 1 - 5) / 2  # half-way through the decay: the mean of 1 and 0.1
    assert lr_factor(int(mid), total, "cosine", 0.1) == pytest.approx(0.55, abs=1e-12)
    assert [lr_factor(s, 8, "constant", warmup=0.25) for s in range(8)] == [0.5] + [1.0] * 7
    assert [lr_factor(s, 8) for s in range(8)] == [1.0] * 8


class _RecordLR:
    """A step function that records the first optimizer's rate at every update."""

    def __init__(self):
        self.lrs = []

    def __call__(self, module, batch, optimizers, backward):
        self.lrs.append(optimizers[0].param_groups[0]["lr"])
        loss = _mse(module, batch)
        optimizers[0].zero_grad()
        backward(loss)
        optimizers[0].step()
        return {"loss": loss.detach()}


@pytest.mark.parametrize("schedule, warmup", [("cosine", 0.0), ("cosine", 0.2),
                                              ("constant", 0.3)])
def test_trainer_sets_the_scheduled_rate_before_every_update(schedule, warmup):
    X, y = _regression(n=20)
    rec = _RecordLR()
    cfg = TrainConfig(max_epochs=4, batch_size=8, lr=0.01, validation_fraction=0.0,
                      random_state=0, lr_schedule=schedule, warmup=warmup)
    Trainer(cfg).fit(_net(), (X, y), step=rec)
    total = 4 * 3  # 20 rows in batches of 8: 3 updates an epoch
    expected = [0.01 * lr_factor(s, total, schedule, warmup) for s in range(total)]
    np.testing.assert_allclose(rec.lrs, expected, rtol=0, atol=1e-15)


def test_default_recipe_leaves_the_rate_alone():
    X, y = _regression(n=20)
    rec = _RecordLR()
    Trainer(TrainConfig(max_epochs=2, batch_size=8, lr=0.01, validation_fraction=0.0,
                        random_state=0)).fit(_net(), (X, y), step=rec)
    assert rec.lrs == [0.01] * 6


def test_resumed_cosine_run_ends_like_an_uninterrupted_one(tmp_path):
    X, y = _regression()
    cfg = dict(lr=0.02, random_state=0, validation_fraction=0.0, lr_schedule="cosine",
               warmup=0.1)
    full = _net()
    Trainer(TrainConfig(max_epochs=6, **cfg)).fit(full, (X, y), _mse)
    # the first part must already know the whole run's length: the schedule spans max_epochs
    part = _net()
    trainer = Trainer(TrainConfig(max_epochs=6, **cfg), checkpoint_dir=tmp_path,
                      callbacks=[_StopAfter(3)])
    trainer.fit(part, (X, y), _mse)
    resumed = _net(seed=99)
    Trainer(TrainConfig(max_epochs=6, **cfg), checkpoint_dir=tmp_path).fit(
        resumed, (X, y), _mse, resume=True)
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


class _StopAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, trainer, logs):
        return trainer.epoch >= self.epochs


def test_precision_auto_is_float32_on_a_cpu_and_bf16_trains_with_float32_weights():
    from gdlab.nn.training import _fabric_precision

    cpu = torch.device("cpu")
    assert _fabric_precision(cpu, "auto") == "32-true"
    assert _fabric_precision(cpu, "32") == "32-true"
    assert _fabric_precision(cpu, "bf16") == "bf16-mixed"
    X, y = _regression()
    seen = []
    net = _net()
    net[0].register_forward_hook(lambda mod, args, out: seen.append(out.dtype))
    result = Trainer(TrainConfig(max_epochs=5, lr=0.02, random_state=0,
                                 precision="bf16")).fit(net, (X, y), _mse)
    assert set(seen) == {torch.bfloat16}  # the linear layers ran under bfloat16 autocast
    assert all(p.dtype == torch.float32 for p in net.parameters())
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0] and all(np.isfinite(losses))


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr_schedule="linear"), "lr_schedule must be one of 'constant', 'cosine', got 'linear'"),
    (dict(lr_schedule=None), "lr_schedule must be one of"),
    (dict(warmup=1.0), "warmup"),
    (dict(warmup=-0.1), "warmup"),
    (dict(precision="16"), "precision must be one of '32', 'bf16', 'auto', got '16'"),
    (dict(precision=32), "precision must be one of"),
])
def test_bad_recipe_settings_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TrainConfig(**kwargs)
