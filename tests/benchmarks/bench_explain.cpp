// intermap-bench-explain: seconds per image of every method on random ViTs, with counted FLOPs,
// achieved GFLOP/s and the ratio to the floor estimate, beside the study's Python numbers
// (../shared/REFERENCE.md). A program that prints numbers, not a test: timings never fail.
//
//   intermap-bench-explain [--model vit-base|vit-tiny|all] [--repeats N] [--threads T|TORCH,BLAS]
//                          [--batches 1,4]
#include "intermap/compute/memory.h"
#include "intermap/compute/threading.h"
#include "intermap/explain/explainer.h"
#include "intermap/version.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace intermap;

namespace {

// Floor: matrix products at the best rate measured on this 2-core machine for ViT-B shapes
// (REFERENCE.md: ~110-160 GFLOP/s). A method's floor = its counted FLOPs / this rate.
constexpr double kFloorGflops = 150.0;

struct Case {
    std::string label;
    std::vector<std::string> methods;
    explain::ExplainOptions options;
    double studySeconds; // the study's Python code, ViT-B/16, batch 1 (REFERENCE.md); 0 = none
};

model::VitConfig configFor(const std::string& name) {
    model::VitConfig config;
    if (name == "vit-tiny") {
        config.embedDim = 192;
        config.numHeads = 3;
    } else {
        config.embedDim = 768;
        config.numHeads = 12;
    }
    config.depth = 12;
    config.mlpHiddenDim = 4 * config.embedDim;
    config.numClasses = 2;
    return config;
}

// Multiply-adds x 2 of one forward pass (matrix products only; they are >95% of the work).
double forwardFlops(const model::VitConfig& c) {
    const double n = static_cast<double>(c.numTokens()), d = static_cast<double>(c.embedDim),
                 h = static_cast<double>(c.mlpHiddenDim), p = static_cast<double>(c.patchSize);
    const double perBlock = 2 * n * d * 3 * d + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * h;
    return c.depth * perBlock + 2 * c.numPatches() * 3 * p * p * d + 2 * d * c.numClasses;
}

// Counted work of each method in forward-pass equivalents (F), matrix products only:
//   attention, rollout: 1 F.  Grad-CAM: 1 F + a backward through the last block (1/depth F).
//   aug-smooth: 6 such passes.  Chefer float32: 1 F + the activation backward through every
//   block (1 F: one product per Linear, no weight gradients) + the activator-only LRP (4 F: per
//   Linear x+W+, x-W-, S W+ and S W-, each the size of the forward's product).  Chefer float64
//   (the default): the float32 pass's backward through every block for the attention gradients
//   (1 F) + its own forward and LRP in double (5 F, reported at the float32 rate; double
//   products run at about half of it, see BENCHMARKS.md).  Shared passes are counted once.
double forwardEquivalents(const std::vector<std::string>& methods, const explain::ExplainOptions& options, int depth) {
    double total = 1.0; // the shared (float32) forward
    bool allBlockBackward = false;
    for (const auto& method : methods) {
        if (method != "chefer")
            continue;
        allBlockBackward = true;
        total += options.cheferPrecision == explain::Precision::Float64 ? 5.0 : 4.0; // (forward +) LRP
    }
    for (const auto& method : methods) {
        if (method == "gradcam") {
            if (!allBlockBackward)
                total += 1.0 / depth;
            if (options.augSmooth)
                total += 5.0 * (1.0 + 1.0 / depth);
        }
    }
    if (allBlockBackward)
        total += 1.0;
    return total;
}

long peakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

void usage() {
    std::puts("usage: intermap-bench-explain [--model vit-base|vit-tiny|all] [--repeats N] [--threads T|TORCH,BLAS] "
              "[--batches 1,4]");
}

} // namespace

int main(int argc, char** argv) {
    std::string modelChoice = "all";
    int repeats = 3;
    std::string threads;
    std::vector<std::int64_t> batches = {1, 4};
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--model" && i + 1 < argc)
            modelChoice = argv[++i];
        else if (argument == "--repeats" && i + 1 < argc)
            repeats = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--threads" && i + 1 < argc)
            threads = argv[++i];
        else if (argument == "--batches" && i + 1 < argc) {
            batches.clear();
            for (char* token = std::strtok(argv[++i], ","); token; token = std::strtok(nullptr, ","))
                batches.push_back(std::max(1, std::atoi(token)));
        }
        else {
            usage();
            return argument == "--help" ? 0 : 2;
        }
    }
    compute::applyThreadPolicy(threads.empty() ? compute::threadPolicyFromEnvironment() : compute::parseThreadPolicy(threads));
    compute::applyMemoryRetention(compute::memoryRetentionFromEnvironment());
    std::printf("intermap %s benchmark; %s; %s; floor rate %.0f GFLOP/s\n", INTERMAP_VERSION_STRING,
                compute::describeThreads().c_str(), compute::describeMemoryRetention().c_str(), kFloorGflops);

    // The study's settings: Chefer in float32, as its code ran (compared with its timings);
    // the product's default Chefer is float64 (explain/precision.h), timed beside them.
    explain::ExplainOptions plain;
    plain.targetClass = 1;
    plain.cheferPrecision = explain::Precision::Float32;
    explain::ExplainOptions augEigen = plain;
    augEigen.augSmooth = true;
    augEigen.eigenSmooth = true;
    explain::ExplainOptions float64 = plain;
    float64.cheferPrecision = explain::Precision::Float64;
    explain::ExplainOptions augEigenFloat64 = augEigen;
    augEigenFloat64.cheferPrecision = explain::Precision::Float64;
    const std::vector<Case> cases = {
        {"attention", {"attention"}, plain, 0.84},
        {"rollout", {"rollout"}, plain, 0.0},
        {"gradcam", {"gradcam"}, plain, 1.31},
        {"gradcam aug+eigen", {"gradcam"}, augEigen, 7.11},
        {"chefer float32", {"chefer"}, plain, 4.92},
        {"chefer float64 (default)", {"chefer"}, float64, 0.0},
        {"trio (attention+chefer+gradcam aug+eigen)", {"attention", "chefer", "gradcam"}, augEigen, 12.9},
        {"trio, chefer float64 (default)", {"attention", "chefer", "gradcam"}, augEigenFloat64, 0.0},
    };
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();

    for (const std::string name : {"vit-base", "vit-tiny"}) {
        if (modelChoice != "all" && modelChoice != name)
            continue;
        const auto config = configFor(name);
        torch::manual_seed(0);
        model::LoadedVit vit;
        vit.config = config;
        vit.model = model::VisionTransformer(config);
        {
            torch::NoGradGuard noGrad;
            for (auto& parameter : vit.model->parameters())
                parameter.normal_(0.0, 0.02).set_requires_grad(false);
        }
        vit.model->eval();
        const double flops = forwardFlops(config);
        for (const std::int64_t batch : batches) {
            const auto inputs = torch::randn({batch, 3, 224, 224});
            std::printf("\n%s (%s), one forward = %.1f GFLOP, batch %lld (times per image)\n", name.c_str(),
                        config.describe().c_str(), flops / 1e9, static_cast<long long>(batch));
            std::printf("%-44s %9s %8s %8s %8s %8s %9s %8s\n", "method", "s/image", "fwd-eq", "GFLOP", "GFLOP/s", "floor x",
                        "study s", "speedup");
            for (const auto& benchCase : cases) {
                explain::explainBatch(vit, inputs, benchCase.methods, benchCase.options, registry); // warm-up
                double best = 1e30;
                for (int r = 0; r < repeats; ++r) {
                    const auto start = std::chrono::steady_clock::now();
                    explain::explainBatch(vit, inputs, benchCase.methods, benchCase.options, registry);
                    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
                }
                best /= static_cast<double>(batch);
                const double equivalents = forwardEquivalents(benchCase.methods, benchCase.options, static_cast<int>(config.depth));
                const double gflop = equivalents * flops / 1e9;
                const double floorSeconds = gflop / kFloorGflops;
                char study[32] = "-", speedup[32] = "-";
                if (name == "vit-base" && benchCase.studySeconds > 0) {
                    std::snprintf(study, sizeof study, "%.2f", benchCase.studySeconds);
                    std::snprintf(speedup, sizeof speedup, "%.1fx", benchCase.studySeconds / best);
                }
                std::printf("%-44s %9.3f %8.2f %8.1f %8.1f %8.2f %9s %8s\n", benchCase.label.c_str(), best, equivalents,
                            gflop, gflop / best, best / floorSeconds, study, speedup);
                std::fflush(stdout);
            }
        }
        std::printf("peak RSS so far: %ld MB\n", peakRssMb());
    }
    return 0;
}
