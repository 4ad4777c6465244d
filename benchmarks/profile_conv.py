"""Where a training step of the Keras-example CNN spends its time.

Wraps every layer's ``forward``/``backward`` (and the loss, the optimizer)
of the model that ``bench_conv.py`` trains with wall-clock timers and
minor-page-fault counters (``getrusage``), runs ``--steps`` steps after a
warm-up, and prints each phase's share of the step. The allocator is left
at its defaults unless ``--retain-memory`` is given.

Usage::

    PYTHONPATH=. python benchmarks/profile_conv.py [--steps 30] [--threads 0] [--retain-memory]
"""
from __future__ import annotations

import argparse
import sys

from _common import limit_blas_threads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0, help="BLAS threads (0: the default)")
    parser.add_argument("--retain-memory", action="store_true", help="opt in to framework.memory first")
    args = parser.parse_args(argv)
    limit_blas_threads(args.threads)

    import collections
    import resource
    import time

    import bench_conv

    from layergraph.framework import memory

    if args.retain_memory:
        memory.retain_freed_memory()
    x, y = bench_conv.make_data(args.steps)
    model = bench_conv.layergraph_model()
    run = bench_conv.batches_runner(model.train_on_batch, x, y)
    totals = collections.defaultdict(float)
    cpu = collections.defaultdict(float)
    faults = collections.defaultdict(int)

    def timed(label, fn):
        def wrapper(*a, **k):
            f0, t0, c0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                totals[label] += time.perf_counter() - t0
                cpu[label] += time.process_time() - c0
                faults[label] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        return wrapper

    for layer in model.layers:
        name = layer.name
        if hasattr(type(layer), "backward_preactivation"):
            layer.backward_preactivation = timed(f"{name} backward", layer.backward_preactivation)
            layer.forward_preactivation = timed(f"{name} forward", layer.forward_preactivation)
            act = layer.activation
            act.forward_inplace = timed(f"{name} activation fwd", act.forward_inplace)
            act.backward = timed(f"{name} activation bwd", act.backward)
        else:
            layer.forward = timed(f"{name} forward", layer.forward)
            layer.backward = timed(f"{name} backward", layer.backward)
    trainer = model.trainer
    opt = trainer.optimizer
    opt.apply = timed("optimizer (Adam)", opt.apply)
    loss = trainer.loss
    for attr in ("value", "fused_gradient", "validate"):
        setattr(loss, attr, timed(f"loss {attr}", getattr(loss, attr)))

    run()  # warm-up
    totals.clear()
    cpu.clear()
    faults.clear()
    f0, t0, c0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter(), time.process_time()
    run()
    wall = (time.perf_counter() - t0) / args.steps
    cpu_step = (time.process_time() - c0) / args.steps
    step_faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / args.steps
    print(f"{wall * 1e3:.2f} ms per step (CPU time {cpu_step * 1e3:.2f} ms), "
          f"{step_faults:.0f} minor page faults per step "
          f"(threads {args.threads or 'default'}, retain memory {args.retain_memory})")
    rows = sorted(totals.items(), key=lambda kv: -cpu[kv[0]])
    print(f"  {'phase':<32} {'wall':>10} {'share':>7} {'CPU':>10} {'share':>7} {'faults':>8}")
    for label, t in rows:
        c = cpu[label] / args.steps
        print(f"  {label:<32} {t / args.steps * 1e3:7.2f} ms {100 * t / args.steps / wall:6.1f} %"
              f" {c * 1e3:7.2f} ms {100 * c / cpu_step:6.1f} % {faults[label] / args.steps:8.0f}")
    outside = wall - sum(totals.values()) / args.steps
    cpu_outside = cpu_step - sum(cpu.values()) / args.steps
    print(f"  {'(rest: trainer, checks)':<32} {outside * 1e3:7.2f} ms {100 * outside / wall:6.1f} %"
          f" {cpu_outside * 1e3:7.2f} ms {100 * cpu_outside / cpu_step:6.1f} %")


if __name__ == "__main__":
    sys.exit(main())
