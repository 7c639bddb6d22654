#!/usr/bin/python3
"""The Python side of intermap-bench-train: the same training step (timm-style ViT forward,
cross-entropy, backward, Adam with weight decay 1e-4) in Debian's python3-torch, median of N
steps after 2 warm-up steps. Development-time benchmark only (never run by the product).

    /usr/bin/python3 tests/benchmarks/bench_train_reference.py [--arch vit-tiny,vit-base]
        [--batch 32] [--steps 7] [--threads TORCH] [--blas N]

Thread settings must be stated on both sides: --threads sets torch.set_num_threads, --blas is
OPENBLAS_NUM_THREADS (set before torch is imported, so it is applied by re-executing).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))

ARCHITECTURES = {"vit-tiny": (192, 12, 3), "vit-small": (384, 12, 6), "vit-base": (768, 12, 12)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="vit-tiny,vit-base")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--blas", type=int, default=2)
    args = parser.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.blas):
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas)
        os.execv(sys.executable, [sys.executable] + sys.argv)

    import torch
    import torch.nn.functional as F
    from make_shape_references import TimmViT

    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, torch {torch.get_num_threads()} intra-op thread(s), "
          f"OpenBLAS {os.environ['OPENBLAS_NUM_THREADS']} thread(s), batch {args.batch}, "
          f"median of {max(5, args.steps)} steps after 2 warm-up steps")
    for name in args.arch.split(","):
        dim, depth, heads = ARCHITECTURES[name]
        torch.manual_seed(0)
        model = TimmViT(dim, depth, heads, 2).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
        images = torch.randn(args.batch, 3, 224, 224)
        labels = torch.arange(args.batch) % 2
        times = []
        for step in range(max(5, args.steps) + 2):
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            if step >= 2:
                times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"Python {name:9s} {median:7.3f} s/step  {args.batch / median:7.1f} images/s")


if __name__ == "__main__":
    main()
