// intermap-bench-train: training images per second of one optimiser step (forward, cross-entropy,
// backward, Adam) on random ViTs, median of N steps after warm-up. Prints numbers beside those of
// the same step in Debian's python3-torch (tests/benchmarks/bench_train_reference.py) when run
// with the same --threads. A program that prints numbers, not a test.
//
//   intermap-bench-train [--arch vit-tiny,vit-base] [--batch 32] [--steps 7] [--threads T|TORCH,BLAS] [--ieee]
//   (INTERMAP_RETAIN_MEMORY=0 measures with glibc's default of returning freed memory; see compute/memory.h)
#include "intermap/compute/memory.h"
#include "intermap/compute/numerics.h"
#include "intermap/compute/threading.h"
#include "intermap/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace intermap;

int main(int argc, char** argv) {
    std::vector<std::string> architectures{"vit-tiny", "vit-base"};
    int batch = 32, steps = 7;
    compute::ThreadPolicy policy = compute::threadPolicyFromEnvironment();
    bool flush = true;
    const char* usage = "usage: intermap-bench-train [--arch LIST] [--batch N] [--steps N] [--threads T|TORCH,BLAS] [--ieee]\n";
    for (int i = 1; i < argc; ++i) {
        const std::string option = argv[i];
        if (option == "--ieee") {
            flush = false;
            continue;
        }
        if (i + 1 >= argc || (option != "--arch" && option != "--batch" && option != "--steps" && option != "--threads")) {
            std::fputs(usage, stderr);
            return 2;
        }
        const std::string value = argv[++i];
        if (option == "--arch") {
            architectures.clear();
            for (std::size_t start = 0; start <= value.size();) {
                const auto comma = std::min(value.find(',', start), value.size());
                architectures.push_back(value.substr(start, comma - start));
                start = comma + 1;
            }
        } else if (option == "--batch") {
            batch = std::max(1, std::atoi(value.c_str()));
        } else if (option == "--steps") {
            steps = std::max(5, std::atoi(value.c_str()));
        } else {
            policy = compute::parseThreadPolicy(value);
        }
    }
    compute::applyThreadPolicy(policy);
    compute::applyMemoryRetention(compute::memoryRetentionFromEnvironment());
    std::printf("LibTorch %s, %s, %s, batch %d, median of %d steps after 2 warm-up steps\n", TORCH_VERSION,
                compute::describeThreads().c_str(), compute::describeMemoryRetention().c_str(), batch, steps);
    // The trainer's floating-point mode (compute/numerics.h); --ieee measures without it.
    std::optional<compute::ScopedFlushDenormals> flushDenormals;
    if (flush)
        flushDenormals.emplace();
    std::printf("denormals %s\n", flush ? "flushed to zero (as the trainer)" : "kept (IEEE)");
    for (const auto& name : architectures) {
        torch::manual_seed(0);
        model::VisionTransformer vit(train::vitConfig(train::parseArchitecture(name), 2));
        vit->train();
        torch::optim::Adam optimizer(vit->parameters(), torch::optim::AdamOptions(1e-4).weight_decay(1e-4));
        const auto images = torch::randn({batch, 3, 224, 224});
        const auto labels = torch::arange(batch, torch::kInt64).remainder(2);
        std::vector<double> seconds;
        for (int step = 0; step < steps + 2; ++step) {
            const auto start = std::chrono::steady_clock::now();
            optimizer.zero_grad();
            // The trainer's forward: the last block computes only the token the head reads.
            const auto loss = torch::nn::functional::cross_entropy(vit->forward(images, model::logitsOnly()).logits, labels);
            loss.backward();
            optimizer.step();
            if (step >= 2)
                seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(seconds.begin(), seconds.end());
        const double median = seconds[seconds.size() / 2];
        std::printf("C++    %-9s %7.3f s/step  %7.1f images/s\n", name.c_str(), median, batch / median);
    }
    return 0;
}
