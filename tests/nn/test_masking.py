"""Masked-LM corruption: which positions are targets, and the 80/10/10 rule."""

import pytest

torch = pytest.importorskip("torch")

from gdlab.nn.masking import mask_tokens, masked_lm_loss, masked_lm_losses  # noqa: E402
from gdlab.nn.transformer import IGNORE  # noqa: E402


def _batch(n=400, T=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 50, (n, T), generator=g)
    maskable = torch.ones(n, T, dtype=torch.bool)
    maskable[:, 0] = False  # [CLS]
    maskable[:, -3:] = False  # [SEP] and padding
    return ids, maskable


def test_targets_are_the_original_ids_of_maskable_positions_at_the_rate():
    ids, maskable = _batch()
    inputs, targets = mask_tokens(ids, maskable, mask_id=4, vocab_size=50,
                                  generator=torch.Generator().manual_seed(1))
    chosen = targets != IGNORE
    assert not (chosen & ~maskable).any()
    assert torch.equal(targets[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])  # unchosen inputs are untouched
    rate = chosen.sum().item() / maskable.sum().item()
    assert rate == pytest.approx(0.15, abs=0.01)  # 10,400 maskable positions: sd 0.0035
    # of the chosen: 80% become [MASK], 10% a random id, 10% stay (a random id may equal it)
    masked = (inputs[chosen] == 4).float().mean().item()
    same = (inputs[chosen] == ids[chosen]).float().mean().item()
    assert masked == pytest.approx(0.8, abs=0.03)
    assert same == pytest.approx(0.1 + 0.1 / 50, abs=0.03)


def test_every_row_with_a_maskable_token_has_a_target_and_seeds_repeat():
    ids = torch.tensor([[2, 9, 3, 0], [2, 3, 0, 0], [2, 7, 8, 3]])
    maskable = torch.tensor([[False, True, False, False], [False] * 4,
                             [False, True, True, False]])
    for seed in range(20):
        g = torch.Generator().manual_seed(seed)
        _, targets = mask_tokens(ids, maskable, mask_id=4, vocab_size=10, rate=0.01,
                                 generator=g)
        has = (targets != IGNORE).any(dim=1)
        assert has.tolist() == [True, False, True]
    a = mask_tokens(ids, maskable, mask_id=4, vocab_size=10,
                    generator=torch.Generator().manual_seed(3))
    b = mask_tokens(ids, maskable, mask_id=4, vocab_size=10,
                    generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_loss_is_the_mean_over_targets_and_zero_without_any():
    logits = torch.randn(2, 3, 5, requires_grad=True)
    targets = torch.tensor([[IGNORE, 1, IGNORE], [4, IGNORE, IGNORE]])
    logp = torch.log_softmax(logits, -1)
    expected = -(logp[0, 1, 1] + logp[1, 0, 4]) / 2
    assert masked_lm_loss(logits, targets).item() == pytest.approx(expected.item(), abs=1e-6)
    none = masked_lm_loss(logits, torch.full((2, 3), IGNORE))
    assert none.item() == 0.0
    none.backward()  # a graph, so the training step runs


def test_bad_arguments():
    ids, maskable = _batch(2, 5)
    with pytest.raises(ValueError, match="same shape"):
        mask_tokens(ids, maskable[:, :3], mask_id=4, vocab_size=50)
    with pytest.raises(ValueError, match=r"rate must be in \(0, 1\)"):
        mask_tokens(ids, maskable, mask_id=4, vocab_size=50, rate=1.5)
    with pytest.raises(ValueError, match="random_low"):
        mask_tokens(ids, maskable, mask_id=4, vocab_size=50, random_low=50)


def test_random_replacements_stay_in_their_range():
    ids, maskable = _batch()
    inputs, targets = mask_tokens(ids, maskable, mask_id=4, vocab_size=12, random_low=7,
                                  generator=torch.Generator().manual_seed(2))
    changed = (targets != -100) & (inputs != 4) & (inputs != ids)
    assert changed.sum() > 50
    assert inputs[changed].min() >= 7 and inputs[changed].max() < 12


def test_training_masks_follow_the_seeded_state_and_validation_masks_never_change():
    ids, maskable = _batch(n=8, T=12)
    seen = []

    def corrupt(batch, generator):
        inputs, targets = mask_tokens(batch[0], batch[1], mask_id=4, vocab_size=50,
                                      generator=generator)
        seen.append(targets)
        return inputs, targets

    embed = torch.nn.Embedding(50, 50)
    loss, eval_loss = masked_lm_losses(corrupt, lambda module, x, batch: module(x))
    torch.manual_seed(0)
    first = [loss(embed, (ids, maskable)) for _ in range(2)]
    assert not torch.equal(seen[0], seen[1])  # fresh masks at each training step
    torch.manual_seed(0)
    loss(embed, (ids, maskable))
    assert torch.equal(seen[2], seen[0])  # same seed, same masks
    assert float(first[0]) > 0
    v1 = eval_loss(embed, (ids, maskable))
    torch.manual_seed(123)
    v2 = eval_loss(embed, (ids, maskable))
    assert torch.equal(seen[3], seen[4]) and float(v1) == float(v2)
    assert float(v1) == float(masked_lm_loss(embed(mask_tokens(
        ids, maskable, mask_id=4, vocab_size=50,
        generator=torch.Generator().manual_seed(int(ids.sum()) % 2**31))[0]), seen[3]))
