"""The one way to hand pretrained weights to a network (``load_init_state`` / ``_train``'s
``init_state``) and the callback that freezes a pretrained part (``FreezeParameters``)."""

import pytest
import torch

from gdlab.nn import FreezeParameters, TrainConfig, Trainer, load_init_state


def _net():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _mse(module, batch):
    return ((module(batch[0]) - batch[1]) ** 2).mean()


def test_init_state_loads_named_parts_and_copies_the_tensors():
    torch.manual_seed(0)
    net, pretrained = _net(), torch.nn.Linear(3, 4)
    head = net[2].weight.detach().clone()
    load_init_state(net, {"0": pretrained.state_dict()})
    assert torch.equal(net[0].weight, pretrained.weight)
    assert torch.equal(net[2].weight, head)  # parts not named keep their initialization
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert not torch.equal(net[0].weight, pretrained.weight)  # a copy, not shared storage
    whole = _net()
    load_init_state(whole, {"": net.state_dict()})
    assert all(torch.equal(a, b) for a, b in zip(whole.state_dict().values(),
                                                 net.state_dict().values(), strict=True))


def test_init_state_errors_name_the_part():
    net = _net()
    with pytest.raises(ValueError, match="'body', which is not a part of Sequential"):
        load_init_state(net, {"body": {}}, "MyModel")
    with pytest.raises(ValueError, match="MyModel: pretrained weights do not fit '2'"):
        load_init_state(net, {"2": torch.nn.Linear(3, 4).state_dict()}, "MyModel")
    with pytest.raises(ValueError, match=r"(?s)do not fit .0.*Missing key"):
        load_init_state(net, {"0": {"weight": torch.zeros(4, 3)}})
    with pytest.raises(TypeError, match="init_state must map"):
        load_init_state(net, [torch.zeros(1)])


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_freeze_parameters_holds_a_part_fixed_then_releases_it(weight_decay):
    torch.manual_seed(0)
    net = _net()
    X, Y = torch.randn(64, 3), torch.randn(64, 2)
    start = {k: v.detach().clone() for k, v in net.state_dict().items()}
    seen = []

    class Watch(FreezeParameters):
        def on_epoch_end(self, trainer, logs):
            seen.append((torch.equal(net[0].weight, start["0.weight"]),
                         torch.equal(net[2].weight, start["2.weight"])))
            return super().on_epoch_end(trainer, logs)

    config = TrainConfig(max_epochs=4, lr=0.05, weight_decay=weight_decay,
                         validation_fraction=0.0, random_state=0)
    Trainer(config, callbacks=[Watch("0", 2)]).fit(net, (X, Y), _mse)
    # frozen for 2 epochs (AdamW's decay too), then trained; the head trains throughout
    assert seen == [(True, False), (True, False), (False, False), (False, False)]
    assert all(p.requires_grad for p in net.parameters())


def test_freeze_zero_epochs_freezes_nothing_and_bad_epochs_raise():
    net = _net()
    before = net[0].weight.detach().clone()
    Trainer(TrainConfig(max_epochs=1, validation_fraction=0.0, random_state=0),
            callbacks=[FreezeParameters(["0"], 0)]).fit(net, (torch.randn(8, 3),
                                                             torch.randn(8, 2)), _mse)
    assert not torch.equal(net[0].weight, before)
    with pytest.raises(ValueError, match="freeze epochs"):
        FreezeParameters("0", -1)
