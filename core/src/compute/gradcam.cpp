#include "intermap/explain/methods.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// At most this many augmented images per forward pass of aug-smooth, the passes as equal in size
// as they can be (one image's five augmentations run as 3 + 2; two images' ten as 3+3+2+2).
// Products over several images' tokens run nearer the machine's rate than one image's; three keep
// the whole-process trio of issue 22 (ViT-B/16, float32 Chefer, 2 images) within its 650 MB:
// peak 620.9-625.3 thousand KiB with three, 620.9-621.1 with one, 651.3 with five (BENCHMARKS.md).
constexpr std::size_t kAugmentedPerForward = 3;

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
        // each image, run as batches of up to kAugmentedPerForward augmented images (products of
        // several images' tokens at once run nearer the machine's rate than one image's 197 rows),
        // each with the graph built for the last block only, and that block computing only what
        // the target logit reads (its norm1 over every token comes before).
        struct Augmentation {
            bool flip;
            double factor;
        };
        const std::vector<Augmentation> others = {{false, 0.9}, {false, 1.1}, {true, 0.9}, {true, 1.0}, {true, 1.1}};
        struct AugmentedImage {
            std::int64_t image;
            const Augmentation* augmentation;
        };
        // In augmentation order, so each image's maps are summed in the study's order.
        std::vector<AugmentedImage> augmentedImages;
        for (const auto& augmentation : others)
            for (std::int64_t i = 0; i < batch; ++i)
                augmentedImages.push_back({i, &augmentation});
        std::vector<torch::Tensor> sums;
        for (const auto& map : maps)
            sums.push_back(map.clone());
        model::VitTaps taps;
        taps.lastBlockNorm1 = true;
        taps.gradientsFromBlock = config.depth - 1;
        taps.lastBlockForTheHeadOnly = true;
        const std::size_t forwardPasses = (augmentedImages.size() + kAugmentedPerForward - 1) / kAugmentedPerForward;
        for (std::size_t passIndex = 0; passIndex < forwardPasses; ++passIndex) {
            const std::size_t first = augmentedImages.size() * passIndex / forwardPasses;
            const std::size_t end = augmentedImages.size() * (passIndex + 1) / forwardPasses;
            std::vector<torch::Tensor> inputs;
            std::vector<std::int64_t> images;
            for (std::size_t j = first; j < end; ++j) {
                const auto& [image, augmentation] = augmentedImages[j];
                auto augmented = pass.input().narrow(0, image, 1) * augmentation->factor;
                inputs.push_back(augmentation->flip ? augmented.flip({3}) : augmented);
                images.push_back(image);
            }
            const auto chunkTargets = targets.index_select(0, torch::tensor(images, targets.options()));
            auto output = pass.model()->forward(torch::cat(inputs), taps);
            const auto gradients = torch::autograd::grad({summedTargetLogits(output.logits, chunkTargets)}, {output.lastBlockNorm1})[0];
            torch::NoGradGuard noGrad;
            const auto activations = output.lastBlockNorm1.detach();
            for (std::size_t j = first; j < end; ++j) {
                const auto& [image, augmentation] = augmentedImages[j];
                const auto row = static_cast<std::int64_t>(j - first);
                const auto index = static_cast<std::size_t>(image);
                auto augmentedPass = gradCamPass(activations[row], gradients[row], config, options);
                sums[index] += augmentation->flip ? augmentedPass.map.flip({1}) : augmentedPass.map;
                if (checkSign) {
                    m_signChecks[index].passes.push_back(augmentedPass.range);
                    correctedMaps[index] = correctedMaps[index] + (augmentation->flip ? augmentedPass.correctedMap.flip({1})
                                                                                      : augmentedPass.correctedMap);
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
