"""Resumable training checkpoints of the one training loop (:class:`gdlab.nn.Trainer`).

:func:`save_checkpoint` writes a module's weights, its optimizers' state and
torch's random state as safetensors, and the rest (epoch, history, settings,
early-stopping state, seed) as JSON, each file replaced atomically;
:func:`load_checkpoint` reads them back into a module and its optimizers.
The Trainer calls both when given a ``checkpoint_dir`` (and
:func:`saved_seed` to resume with the interrupted run's seed); they are
public for code that manages checkpoints itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

__all__ = ["CHECKPOINT_FILES", "save_checkpoint", "load_checkpoint", "saved_seed"]

#: Files of a checkpoint directory.
CHECKPOINT_FILES = ("module.safetensors", "optimizers.safetensors", "state.json")


def saved_seed(directory, default: int) -> int:
    """The seed an interrupted run used, from its checkpoint (``default`` if none is saved)."""
    try:
        saved = json.loads((Path(directory) / "state.json").read_text()).get("seed")
    except (OSError, ValueError):
        return default  # load_checkpoint raises the clear error
    return default if saved is None else int(saved)


def save_checkpoint(directory, module: torch.nn.Module, optimizers: Sequence, *, epoch: int,
                    history: list, config: dict, best_val=None, best_epoch=None,
                    best_state=None, seed=None, bad_epochs=0) -> Path:
    """Write a resumable checkpoint: weights and optimizer tensors as safetensors, rest as JSON.

    Parameters
    ----------
    directory : str or Path
        Created if needed; the files of :data:`CHECKPOINT_FILES` are replaced
        atomically.
    module : torch.nn.Module
    optimizers : sequence of torch.optim.Optimizer
    epoch : int
        Epochs completed.
    history : list of dict
    config : dict
        JSON-safe settings (``TrainConfig.to_json()``).
    best_val, best_epoch, best_state, bad_epochs : optional
        Early-stopping state: the best validation loss, its epoch and weights
        (restored at the end of a resumed run), and epochs without improvement.
    seed : int, optional
        The run's seed (a resumed run reuses its split and batch order).

    Returns
    -------
    Path
    """
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    if best_state is not None:
        weights.update({f"best.{k}": v.detach().cpu().contiguous()
                        for k, v in best_state.items()})
    # torch's random state (dropout, noise draws) so that a resumed run continues exactly
    opt_tensors = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        opt_tensors["rng.cuda"] = torch.cuda.get_rng_state()
    opt_meta = []
    for i, opt in enumerate(optimizers):
        sd = opt.state_dict()
        meta = {"param_groups": sd["param_groups"], "state": {}}
        for pid, st in sd["state"].items():
            meta["state"][str(pid)] = {}
            for key, val in st.items():
                if isinstance(val, torch.Tensor):
                    name = f"{i}.{pid}.{key}"
                    opt_tensors[name] = val.detach().cpu().contiguous()
                    meta["state"][str(pid)][key] = {"tensor": name}
                else:
                    meta["state"][str(pid)][key] = {"value": val}
        opt_meta.append(meta)
    state = {"epoch": int(epoch), "history": history, "config": config,
             "optimizers": opt_meta, "best_val": best_val, "best_epoch": best_epoch,
             "seed": None if seed is None else int(seed), "bad_epochs": int(bad_epochs)}
    for name, write in (
        ("module.safetensors", lambda p: save_file(weights, str(p))),
        ("optimizers.safetensors", lambda p: save_file(opt_tensors, str(p))),
        ("state.json", lambda p: p.write_text(json.dumps(state))),
    ):
        tmp = directory / (name + ".tmp")
        write(tmp)
        tmp.replace(directory / name)
    return directory


def load_checkpoint(directory, module: torch.nn.Module, optimizers: Sequence = ()) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` into ``module`` (and optimizers).

    Also restores torch's global random state saved with it (the Trainer calls
    this inside its own forked random state).

    Returns
    -------
    dict
        ``epoch``, ``history``, ``config``, ``best_val``, ``best_epoch``,
        ``best_state`` (the best weights, or None), ``seed``, ``bad_epochs``.

    Raises
    ------
    ValueError
        Missing or unreadable files, or weights that do not fit the module.
    """
    from safetensors.torch import load_file

    directory = Path(directory)
    missing = [f for f in CHECKPOINT_FILES if not (directory / f).is_file()]
    if missing:
        raise ValueError(f"no complete checkpoint in {str(directory)!r}: missing {missing}.")
    try:
        state = json.loads((directory / "state.json").read_text())
        weights = load_file(str(directory / "module.safetensors"))
        opt_tensors = load_file(str(directory / "optimizers.safetensors"))
    except Exception as err:  # safetensors raises its own error types
        raise ValueError(f"checkpoint in {str(directory)!r} is corrupted: {err}") from err
    device = next(iter(module.parameters())).device if any(True for _ in module.parameters()) \
        else torch.device("cpu")
    best = {k.removeprefix("best."): v.to(device) for k, v in weights.items()
            if k.startswith("best.")}
    try:
        module.load_state_dict({k: v.to(device) for k, v in weights.items()
                                if not k.startswith("best.")})
    except RuntimeError as err:
        raise ValueError(f"checkpoint weights do not fit this module: {err}") from err
    state["best_state"] = best or None
    metas = state.get("optimizers", [])
    if optimizers and len(metas) != len(optimizers):
        raise ValueError(f"checkpoint has {len(metas)} optimizer states, the model has "
                         f"{len(optimizers)}.")
    for opt, meta in zip(optimizers, metas, strict=False):
        sd = {"param_groups": meta["param_groups"], "state": {}}
        for pid, st in meta["state"].items():
            sd["state"][int(pid)] = {
                key: opt_tensors[v["tensor"]] if "tensor" in v else v["value"]
                for key, v in st.items()}
        opt.load_state_dict(sd)
    if "rng.cpu" in opt_tensors:
        torch.set_rng_state(opt_tensors["rng.cpu"])
    if "rng.cuda" in opt_tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(opt_tensors["rng.cuda"])
    return state
