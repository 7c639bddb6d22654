// CUDA check of the compute core: every method's map on the GPU against the CPU, deletion /
// insertion on the GPU, a short training run on the GPU, and GPU timings of the study's trio
// on a ViT-B/16. Prints numbers; exits 1 when a CUDA result departs from the CPU's.
#include "intermap/eval/faithfulness.h"
#include "intermap/explain/explainer.h"
#include "intermap/model/vit.h"
#include "intermap/train/trainer.h"

#include "../common/synthetic_stream.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>

using namespace intermap;

namespace {

double seconds(const std::function<void()>& work, int repeats) {
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        torch::cuda::synchronize();
        const auto start = std::chrono::steady_clock::now();
        work();
        torch::cuda::synchronize();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

model::LoadedVit onDevice(const model::LoadedVit& source, torch::Device device) {
    model::LoadedVit copy = source;
    copy.model = model::VisionTransformer(source.config);
    {
        torch::NoGradGuard noGrad;
        auto from = source.model->named_parameters();
        for (auto& parameter : copy.model->named_parameters())
            parameter.value().copy_(from[parameter.key()]);
    }
    copy.model->to(device);
    copy.model->eval();
    for (auto& parameter : copy.model->parameters())
        parameter.set_requires_grad(false);
    return copy;
}


} // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IONBF, 0); // every line out even if a later step aborts
    std::printf("LibTorch %s, CUDA available: %d, devices: %d\n", TORCH_VERSION, int(torch::cuda::is_available()),
                int(torch::cuda::device_count()));
    if (!torch::cuda::is_available())
        return 1;
    const torch::Device cuda(torch::kCUDA);
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    bool ok = true;

    // 1. Maps: CUDA vs CPU on a reference checkpoint (or a random ViT) and a seeded input.
    model::LoadedVit cpuModel;
    if (argc > 1) {
        cpuModel = model::loadVit(argv[1]);
    } else {
        torch::manual_seed(0);
        cpuModel.config = train::vitConfig(train::parseArchitecture("192x4x3"), 2);
        cpuModel.model = model::VisionTransformer(cpuModel.config);
        cpuModel.model->eval();
        for (auto& p : cpuModel.model->parameters()) {
            torch::NoGradGuard g;
            p.normal_(0, 0.05);
            p.set_requires_grad(false);
        }
    }
    std::printf("model %s\n", cpuModel.config.describe().c_str());
    const auto gpuModel = onDevice(cpuModel, cuda);
    torch::Generator generator = at::detail::createCPUGenerator(42);
    const auto input = torch::randn({1, 3, 224, 224}, generator);
    explain::ExplainOptions options;
    options.targetClass = 1;
    options.augSmooth = true;
    options.eigenSmooth = true;
    try {
    for (auto precision : {explain::Precision::Float32, explain::Precision::Float64}) {
        options.cheferPrecision = precision;
        const std::vector<std::string> methods{"attention", "rollout", "gradcam", "chefer"};
        const auto onCpu = explain::explainImage(cpuModel, input, methods, options, registry);
        const auto onGpu = explain::explainImage(gpuModel, input.to(cuda), methods, options, registry);
        for (std::size_t m = 0; m < methods.size(); ++m) {
            const double difference = (onCpu.maps[m].map - onGpu.maps[m].map).abs().max().item<double>();
            // float32 on two devices: reductions differ in order. Grad-CAM's eigen-smooth sign may flip
            // legitimately (SVD sign ambiguity) — reported, not failed, in the study's sign mode.
            const bool methodOk = difference < (methods[m] == "chefer" && precision == explain::Precision::Float32 ? 2e-2 : 1e-3);
            std::printf("%-9s %s: max |CUDA - CPU| = %.3g %s\n", methods[m].c_str(),
                        precision == explain::Precision::Float32 ? "f32" : "f64", difference, methodOk ? "ok" : "DIFFERS");
            if (!methodOk && methods[m] != "gradcam")
                ok = false;
        }
    }

    } catch (const std::exception& error) {
        std::printf("maps FAILED: %s\n", error.what());
        ok = false;
    }

    // Grad-CAM's eigen-smooth sign in the study's mode is whatever the SVD returns (cuSOLVER and
    // LAPACK may differ); the corrected sign and plain Grad-CAM must agree across devices.
    try {
        for (int variant = 0; variant < 2; ++variant) {
            explain::ExplainOptions gradcam = options;
            gradcam.eigenSmooth = variant == 1;
            gradcam.eigenSign = explain::EigenSign::Corrected;
            const auto a = explain::explainImage(cpuModel, input, {"gradcam"}, gradcam, registry);
            const auto b = explain::explainImage(gpuModel, input.to(cuda), {"gradcam"}, gradcam, registry);
            const double difference = (a.maps[0].map - b.maps[0].map).abs().max().item<double>();
            std::printf("gradcam aug%s: max |CUDA - CPU| = %.3g %s\n", variant ? "+eigen (corrected sign)" : " (no eigen)",
                        difference, difference < 1e-3 ? "ok" : "DIFFERS");
            ok = ok && difference < 1e-3;
        }
    } catch (const std::exception& error) {
        std::printf("gradcam FAILED: %s\n", error.what());
        ok = false;
    }

    // 2. Deletion / insertion on CUDA vs CPU.
    try {
    auto gpuVit = gpuModel.model;
    auto cpuVit = cpuModel.model;
    const auto map = torch::rand({224, 224}, generator);
    const auto faithGpu = eval::deletionInsertion(gpuVit, input.to(cuda), map, 1);
    const auto faithCpu = eval::deletionInsertion(cpuVit, input, map, 1);
    std::printf("faithfulness: deletion AUC cpu %.6f cuda %.6f, insertion AUC cpu %.6f cuda %.6f\n", faithCpu.deletionAuc,
                faithGpu.deletionAuc, faithCpu.insertionAuc, faithGpu.insertionAuc);
    if (std::abs(faithCpu.deletionAuc - faithGpu.deletionAuc) > 1e-4 || std::abs(faithCpu.insertionAuc - faithGpu.insertionAuc) > 1e-4)
        ok = false;

    } catch (const std::exception& error) {
        std::printf("faithfulness FAILED: %s\n", error.what());
        ok = false;
    }

    // 3. Training on the GPU (device auto picks CUDA).
    try {
    const std::string runDir = (std::filesystem::temp_directory_path() / "intermap-gpu-train").string();
    std::filesystem::remove_all(runDir);
    train::TrainSettings settings;
    settings.architecture = train::parseArchitecture("192x6x3");
    settings.optimizer = {train::OptimizerKind::Adam, 3e-4, 0.9, 1e-4};
    settings.epochs = 3;
    settings.outDir = runDir;
    // The GUI's probe strip: the model explained after each epoch where it trains (on the GPU).
    train::TrainCallbacks callbacks;
    int probes = 0;
    bool probeOk = true;
    const auto probeRegistry = explain::ExplainerRegistry::withBuiltinMethods();
    const torch::Tensor probeInput = torch::randn({1, 3, 224, 224});
    callbacks.onEpochModel = [&](const train::EpochRecord& record, const model::LoadedVit& current) {
        explain::ExplainOptions options;
        options.targetClass = 1;
        const auto device = current.model->parameters().front().device();
        const auto explained = explain::explainImage(current, probeInput.to(device), {"attention", "gradcam", "chefer"},
                                                     options, probeRegistry);
        bool finite = explained.maps.size() == 3;
        for (const auto& map : explained.maps)
            finite = finite && torch::isfinite(map.map).all().item<bool>() && map.map.size(0) == 224;
        std::printf("probe after epoch %d on %s: %zu maps, finite %s\n", record.epoch, device.str().c_str(),
                    explained.maps.size(), finite ? "yes" : "NO");
        probeOk = probeOk && finite && device.is_cuda();
        ++probes;
    };
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = train::trainClassifier(settings, [](train::Split split, int epoch) {
        return std::unique_ptr<train::BatchStream>(std::make_unique<test::SyntheticStream>(split == train::Split::Train ? epoch + 1 : 99,
                                                                                     split == train::Split::Train ? 8 : 2, 32));
    }, callbacks);
    if (probes != settings.epochs || !probeOk) {
        std::printf("probe explanations FAILED (%d calls)\n", probes);
        ok = false;
    }
    const double trainSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("training on %s: %zu epochs, %.0f images/s (incl. validation and the probe maps), last val acc %.3f auc %.3f\n",
                outcome.device.c_str(), outcome.history.size(), 3 * (8 + 2) * 32 / trainSeconds,
                outcome.history.back().validationAccuracy, outcome.history.back().validationAuc);
    if (outcome.device != "cuda" || outcome.history.back().validationAccuracy < 0.95)
        ok = false;

    } catch (const std::exception& error) {
        std::printf("training FAILED: %s\n", error.what());
        ok = false;
    }

    // 4. GPU timings, ViT-B/16 with random weights: the study's trio and each method, batch 1.
    try {
    torch::manual_seed(1);
    model::LoadedVit base;
    base.config = train::vitConfig(train::parseArchitecture("vit-base"), 2);
    base.model = model::VisionTransformer(base.config);
    base.model->to(cuda);
    base.model->eval();
    for (auto& p : base.model->parameters()) {
        torch::NoGradGuard g;
        p.normal_(0, 0.02);
        p.set_requires_grad(false);
    }
    options.cheferPrecision = explain::Precision::Float32;
    const auto gpuInput = input.to(cuda);
    for (const auto& methods : std::vector<std::vector<std::string>>{{"attention"}, {"gradcam"}, {"chefer"},
                                                                    {"attention", "chefer", "gradcam"}}) {
        auto run = [&] { explain::explainImage(base, gpuInput, methods, options, registry); };
        run();
        std::string name;
        for (const auto& m : methods)
            name += (name.empty() ? "" : "+") + m;
        std::printf("ViT-B/16 on CUDA, %-26s %.4f s/image (median of 10)\n", name.c_str(), seconds(run, 10));
    }
    for (int batch : {8, 32}) {
        const auto inputs = torch::randn({batch, 3, 224, 224}, generator).to(cuda);
        auto run = [&] { explain::explainBatch(base, inputs, {"attention", "chefer", "gradcam"}, options, registry); };
        run();
        std::printf("ViT-B/16 on CUDA, trio batch %d: %.4f s/image\n", batch, seconds(run, 5) / batch);
    }
    } catch (const std::exception& error) {
        std::printf("timings FAILED: %s\n", error.what());
        ok = false;
    }

    std::printf(ok ? "GPU CHECK PASSED\n" : "GPU CHECK FAILED\n");
    return ok ? 0 : 1;
}
