#include "intermap/explain/methods.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// pytorch-grad-cam 1.5.0's scale_cam_image step: x - min, then / (1e-7 + max).
torch::Tensor scaleCam(const torch::Tensor& cam) {
    auto shifted = cam - cam.min();
    return shifted / (1e-7 + shifted.max());
}

// The rest of a pass after the projection: ReLU, scale, bilinear to the image, scale again.
torch::Tensor finishPass(const torch::Tensor& projection, const model::VitConfig& config) {
    const std::int64_t grid = config.gridSize(), imageSize = config.imageSize;
    auto cam = scaleCam(projection.clamp_min(0).reshape({grid, grid}));
    // cv2.resize(INTER_LINEAR) upscaling = bilinear with half-pixel centres (align_corners=false).
    namespace F = torch::nn::functional;
    auto resized = F::interpolate(cam.reshape({1, 1, grid, grid}),
                                  F::InterpolateFuncOptions()
                                      .size(std::vector<std::int64_t>{imageSize, imageSize})
                                      .mode(torch::kBilinear)
                                      .align_corners(false))
                       .reshape({imageSize, imageSize});
    // aggregate_multi_layers: max(., 0) (a no-op here) and the second scale_cam_image.
    return scaleCam(resized.clamp_min(0));
}

// One pass's map and, with eigen-smooth in the study's sign, what the corrected rule would make
// of it (from the same projection, so the warning costs no second forward pass).
struct PassMaps {
    torch::Tensor map;
    torch::Tensor correctedMap; // defined in the study's eigen sign mode only (== map when not flipped)
    ProjectionRange range;
};

// One Grad-CAM pass on one image: `activations` and `gradients` are the last block's norm1
// output and d(target logit)/d(it), [N,C] with the prefix tokens (CLS, ...) first.
PassMaps gradCamPass(const torch::Tensor& activations, const torch::Tensor& gradients, const model::VitConfig& config,
                     const ExplainOptions& options) {
    // Drop the prefix tokens; the rest are the grid row-major: [grid*grid, C] (the ViT
    // reshape_transform's [B,14,14,C] -> [B,C,14,14], kept here as positions x channels).
    const auto patchActivations = activations.slice(0, config.prefixTokens());
    const auto weights = gradients.slice(0, config.prefixTokens()).mean(0); // mean of the gradients over the grid, [C]
    const auto weighted = patchActivations * weights;     // [positions, C]
    if (!options.eigenSmooth)
        return {finishPass(weighted.sum(1), config), {}, {}};
    // get_2d_projection: first principal component of the weighted activations (rows =
    // positions, columns centred); its sign is whatever gesdd returns (full_matrices as
    // NumPy's default) unless the corrected sign is asked for.
    auto centred = torch::nan_to_num(weighted, 0.0, 0.0, 0.0);
    centred = centred - centred.mean(0, /*keepdim=*/true);
    auto svd = torch::linalg_svd(centred, /*full_matrices=*/true);
    const auto projection = torch::matmul(centred, std::get<2>(svd)[0]);
    const ProjectionRange range{projection.min().item<double>(), projection.max().item<double>()};
    const bool flips = correctedSignFlips(range.minimum, range.maximum);
    if (options.eigenSign == EigenSign::Corrected)
        return {finishPass(flips ? -projection : projection, config), {}, range};
    PassMaps maps{finishPass(projection, config), {}, range};
    maps.correctedMap = flips ? finishPass(-projection, config) : maps.map;
    return maps;
}

// Grad-CAM (pytorch-grad-cam 1.5.0, ViT reshape) on the last block's norm1 output.
class GradCam final : public BuiltinMethod {
public:
    GradCam() : BuiltinMethod(kGradCamMethod, true) {}
    // Gradients reach the patches whatever the head reads.
    std::optional<std::string> refusal(const model::VitConfig&) const override { return std::nullopt; }
    PassNeeds needs(const ExplainOptions&) const override {
        PassNeeds needs;
        needs.lastBlockGradient = true;
        return needs;
    }

    torch::Tensor explain(ForwardPass& pass, const ExplainOptions& options, const torch::Tensor& targets) override {
        const auto& config = pass.model()->config();
        const auto batch = pass.batchSize();
        // The un-flipped x1.0 input is the shared pass itself.
        const auto& activations = pass.lastBlockNorm1(targets);
        const auto& gradients = pass.lastBlockNorm1Gradient(targets);
        const bool checkSign = options.eigenSmooth && options.eigenSign == EigenSign::AsSvdReturns;
        m_signChecks.assign(checkSign ? static_cast<std::size_t>(batch) : 0, EigenSignCheck{});
        std::vector<torch::Tensor> maps, correctedMaps;
        for (std::int64_t i = 0; i < batch; ++i) {
            auto pass = gradCamPass(activations[i], gradients[i], config, options);
            maps.push_back(pass.map);
            if (checkSign) {
                m_signChecks[static_cast<std::size_t>(i)].passes.push_back(pass.range);
                correctedMaps.push_back(pass.correctedMap);
            }
        }
        if (!options.augSmooth) {
            finishSignChecks(correctedMaps, 1.0);
            return torch::stack(maps);
        }

        // ttach's Compose([HorizontalFlip(), Multiply([0.9, 1, 1.1])]): the other five inputs of
        // the batch, one augmentation at a time (a fifth of the activations of a five-fold batch
        // in memory), each with the graph built for the last block only.
        struct Augmentation {
            bool flip;
            double factor;
        };
        const std::vector<Augmentation> others = {{false, 0.9}, {false, 1.1}, {true, 0.9}, {true, 1.0}, {true, 1.1}};
        std::vector<torch::Tensor> sums;
        for (const auto& map : maps)
            sums.push_back(map.clone());
        model::VitTaps taps;
        taps.lastBlockNorm1 = true;
        taps.gradientsFromBlock = config.depth - 1;
        for (const auto& augmentation : others) {
            auto augmented = pass.input() * augmentation.factor;
            if (augmentation.flip)
                augmented = augmented.flip({3});
            auto output = pass.model()->forward(augmented, taps);
            // The images are independent, so the gradient of the summed target logits gives each
            // image's own gradient.
            const auto gradients =
                torch::autograd::grad({output.logits.gather(1, targets.unsqueeze(1)).sum()}, {output.lastBlockNorm1})[0];
            torch::NoGradGuard noGrad;
            const auto activations = output.lastBlockNorm1.detach();
            for (std::int64_t i = 0; i < batch; ++i) {
                const auto index = static_cast<std::size_t>(i);
                auto augmentedPass = gradCamPass(activations[i], gradients[i], config, options);
                sums[index] += augmentation.flip ? augmentedPass.map.flip({1}) : augmentedPass.map;
                if (checkSign) {
                    m_signChecks[index].passes.push_back(augmentedPass.range);
                    correctedMaps[index] = correctedMaps[index] +
                                           (augmentation.flip ? augmentedPass.correctedMap.flip({1}) : augmentedPass.correctedMap);
                }
            }
        }
        // The average of the six maps is not re-normalised (as the study's maps).
        for (std::size_t i = 0; i < maps.size(); ++i)
            maps[i] = sums[i] / static_cast<double>(others.size() + 1);
        finishSignChecks(correctedMaps, static_cast<double>(others.size() + 1));
        return torch::stack(maps);
    }

    std::vector<EigenSignCheck> eigenSignChecks() const override { return m_signChecks; }

private:
    // Averages each image's corrected passes like its map; kept only where some pass flips (the
    // corrected map equals the map otherwise).
    void finishSignChecks(std::vector<torch::Tensor>& correctedSums, double passes) {
        for (std::size_t i = 0; i < m_signChecks.size(); ++i) {
            auto& check = m_signChecks[i];
            bool flipped = false;
            for (const auto& range : check.passes)
                flipped = flipped || correctedSignFlips(range.minimum, range.maximum);
            if (!flipped)
                continue;
            const auto corrected = (correctedSums[i] / passes).to(torch::kCPU, torch::kFloat32).contiguous();
            check.correctedMap.assign(corrected.data_ptr<float>(), corrected.data_ptr<float>() + corrected.numel());
        }
    }

    std::vector<EigenSignCheck> m_signChecks; // of the last explain() call, one per image
};

} // namespace

std::unique_ptr<Explainer> makeGradCam() { return std::make_unique<GradCam>(); }

} // namespace intermap::explain
