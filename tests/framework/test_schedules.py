"""CosineDecay: hand-computed rates with and without warmup, Keras' clamping, config, validation."""
import math

import numpy as np
import pytest

import layergraph as lg
from layergraph.framework import schedules
from layergraph.framework.schedules import CosineDecay
from layergraph.framework.variables import Variable


def test_cosine_decay_by_hand():
    # 0.5 (1 + cos(pi t / 4)) for t = 0..4, then held at the end (Keras clamps the step)
    schedule = CosineDecay(1.0, decay_steps=4)
    half = math.sqrt(0.5) / 2
    assert [schedule(s) for s in range(7)] == pytest.approx([1.0, 0.5 + half, 0.5, 0.5 - half, 0.0, 0.0, 0.0],
                                                            abs=1e-15)


def test_alpha_is_the_final_fraction():
    # 2 ((1 - 0.2) * 0.5 (1 + cos(pi t / 2)) + 0.2): 2, 1.2, 0.4, then 0.4 for ever
    schedule = CosineDecay(2.0, decay_steps=2, alpha=0.2)
    assert [schedule(s) for s in (0, 1, 2, 3, 100)] == pytest.approx([2.0, 1.2, 0.4, 0.4, 0.4])


def test_linear_warmup_then_cosine_decay_from_the_target():
    # up 0.1 -> 0.5 in 4 steps (0.1 a step), then 0.5 * 0.5 (1 + cos(pi t / 2)) for t = 0, 1, 2
    schedule = CosineDecay(0.1, decay_steps=2, warmup_target=0.5, warmup_steps=4)
    assert [schedule(s) for s in range(9)] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.25, 0.0, 0.0, 0.0],
                                                            abs=1e-15)


def test_warmup_target_without_warmup_steps_decays_from_the_target():
    # Keras: step < warmup_steps never holds, so the decay starts at warmup_target
    schedule = CosineDecay(0.1, decay_steps=2, warmup_target=0.5)
    assert [schedule(s) for s in (0, 1, 2)] == pytest.approx([0.5, 0.25, 0.0], abs=1e-15)


def test_drives_the_optimizer_step_by_step():
    # lr 1, 0.5, 0 with g = 1: w = 0 - 1 - 0.5 - 0
    opt = lg.optimizers.SGD(CosineDecay(1.0, decay_steps=2))
    w = Variable(np.zeros(1))
    rates = []
    for _ in range(3):
        rates.append(opt.current_learning_rate)
        opt.apply([w], [np.ones(1)])
    assert rates == pytest.approx([1.0, 0.5, 0.0], abs=1e-15)
    assert w.value[0] == pytest.approx(-1.5)


def test_config_round_trip_alone_and_inside_an_optimizer():
    schedule = CosineDecay(1e-4, decay_steps=5159, alpha=0.01, warmup_target=3e-3, warmup_steps=469)
    config = schedules.serialize(schedule)
    assert config == {"class_name": "CosineDecay",
                      "config": {"initial_learning_rate": 1e-4, "decay_steps": 5159, "alpha": 0.01,
                                 "name": "CosineDecay", "warmup_target": 3e-3, "warmup_steps": 469}}
    again = schedules.deserialize(config)
    assert [again(s) for s in (0, 100, 469, 3000, 6000)] == [schedule(s) for s in (0, 100, 469, 3000, 6000)]
    adam = lg.optimizers.Adam.from_config(lg.optimizers.Adam(schedule).get_config())
    assert isinstance(adam.learning_rate, CosineDecay)
    assert adam.learning_rate.get_config() == schedule.get_config()


@pytest.mark.parametrize("kwargs, message", [
    (dict(initial_learning_rate=-0.1), r"CosineDecay: invalid initial_learning_rate -0.1; expected a number in "
                                       r"\[0.0, inf\)"),
    (dict(initial_learning_rate=float("nan")), r"invalid initial_learning_rate nan"),
    (dict(decay_steps=0), r"CosineDecay: invalid decay_steps 0; expected a number in \(0.0, inf\)"),
    (dict(decay_steps=-5), r"invalid decay_steps -5"),
    (dict(decay_steps=float("nan")), r"invalid decay_steps nan"),
    (dict(alpha=1.5), r"CosineDecay: invalid alpha 1.5; expected a number in \[0.0, 1.0\]"),
    (dict(alpha=-0.1), r"invalid alpha -0.1"),
    (dict(warmup_target=-1.0), r"CosineDecay: invalid warmup_target -1.0; expected a number in \[0.0, inf\)"),
    (dict(warmup_target=float("nan")), r"invalid warmup_target nan"),
    (dict(warmup_steps=-1), r"CosineDecay: invalid warmup_steps -1; expected a number in \[0.0, inf\)"),
    (dict(warmup_steps=float("nan")), r"invalid warmup_steps nan"),
])
def test_bad_arguments(kwargs, message):
    arguments = {"initial_learning_rate": 0.1, "decay_steps": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        CosineDecay(**arguments)
