#include "intermap/eval/faithfulness.h"

#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <string>

namespace intermap::eval {
namespace {

// Row-major patch indices, the highest mean map value first. `map` is [H,W] float64 on the CPU.
// std::stable_sort keeps equal scores in ascending index order, so plateaus (common in
// patch-constant maps such as the attention map) are ordered the same on every platform.
std::vector<std::int64_t> patchOrder(const torch::Tensor& map, std::int64_t patch) {
    const auto rows = map.size(0) / patch, columns = map.size(1) / patch;
    const auto scores = map.reshape({rows, patch, columns, patch}).mean({1, 3}).flatten().contiguous();
    const double* score = scores.data_ptr<double>();
    std::vector<std::int64_t> order(static_cast<size_t>(scores.numel()));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::stable_sort(order.begin(), order.end(), [score](std::int64_t a, std::int64_t b) { return score[a] > score[b]; });
    return order;
}

} // namespace

FaithfulnessResult deletionInsertion(model::VisionTransformer& model, const torch::Tensor& input,
                                     const torch::Tensor& map, std::int64_t targetClass,
                                     const FaithfulnessOptions& options) {
    const auto& config = model->config();
    checkRemovalArguments(config, input, map, targetClass, options.batchSize, "deletion/insertion");
    if (options.steps < 1)
        throw UsageError("deletion/insertion: steps must be at least 1, got " + std::to_string(options.steps));
    const auto size = config.imageSize;
    const auto mapOnHost = map.detach().to(torch::kCPU, torch::kFloat64).contiguous();

    const std::int64_t steps = options.steps;
    const std::int64_t patches = config.numPatches();
    const auto order = patchOrder(mapOnHost, config.patchSize);
    // rank[patch] = its position in the order, spread over the patch's pixels: at step s a pixel
    // is affected when its rank < n_s.
    std::vector<std::int64_t> rank(order.size());
    for (size_t position = 0; position < order.size(); ++position)
        rank[static_cast<size_t>(order[position])] = static_cast<std::int64_t>(position);
    const auto parameter = model->parameters().front();
    const auto onModel = torch::TensorOptions().device(parameter.device()).dtype(parameter.scalar_type());
    const auto pixelRank = torch::tensor(rank, torch::kInt64)
                               .reshape({1, 1, config.gridSize(), config.gridSize()})
                               .repeat_interleave(config.patchSize, 2)
                               .repeat_interleave(config.patchSize, 3)
                               .to(parameter.device());

    FaithfulnessResult result;
    std::vector<std::int64_t> affected; // n_s
    for (std::int64_t s = 0; s <= steps; ++s) {
        affected.push_back((s * patches + steps / 2) / steps);
        result.fractions.push_back(static_cast<double>(affected.back()) / static_cast<double>(patches));
    }
    // One job per curve point: jobs 0..S are the deletion curve's, S+1..2S+1 the insertion curve's.
    const auto jobs = 2 * (steps + 1);
    const auto counts = torch::tensor(affected, torch::kInt64).repeat({2}).to(parameter.device());
    const auto deletes = torch::arange(jobs, torch::TensorOptions().dtype(torch::kInt64).device(parameter.device())) <= steps;

    const auto original = input.detach().reshape({1, 3, size, size}).to(onModel);
    const auto meanColour = torch::zeros({}, onModel);
    const auto imagesBetween = [&](std::int64_t begin, std::int64_t end) {
        const auto isAffected = pixelRank < counts.slice(0, begin, end).view({-1, 1, 1, 1});
        // Deletion keeps the pixels that are not affected, insertion only those that are.
        const auto keepsOriginal = torch::logical_xor(isAffected, deletes.slice(0, begin, end).view({-1, 1, 1, 1}));
        return torch::where(keepsOriginal, original, meanColour); // [b,3,H,W]
    };
    const auto probabilities = targetProbabilities(model, imagesBetween, jobs, targetClass, options.batchSize);
    const double* probability = probabilities.data();
    result.deletionProbabilities.assign(probability, probability + steps + 1);
    result.insertionProbabilities.assign(probability + steps + 1, probability + jobs);
    result.deletionAuc = trapezoidArea(result.fractions, result.deletionProbabilities);
    result.insertionAuc = trapezoidArea(result.fractions, result.insertionProbabilities);
    return result;
}

void checkRemovalArguments(const model::VitConfig& config, const torch::Tensor& input, const torch::Tensor& map,
                           std::int64_t targetClass, int batchSize, std::string_view measure) {
    const std::string name(measure);
    if (!config.hasHead())
        throw UsageError(name + " needs a classifier, but the model has no classification head");
    if (batchSize < 1)
        throw UsageError(name + ": batch size must be at least 1, got " + std::to_string(batchSize));
    const auto size = config.imageSize;
    const std::string side = std::to_string(size);
    const bool oneImage = input.dim() == 3 || (input.dim() == 4 && input.size(0) == 1);
    if (!oneImage || input.size(-3) != 3 || input.size(-2) != size || input.size(-1) != size)
        throw UsageError(name + ": input must be [3," + side + "," + side + "] or [1,3," + side + "," + side + "], got " +
                         model::shapeString(input.sizes()));
    if (map.dim() != 2 || map.size(0) != size || map.size(1) != size)
        throw UsageError(name + ": map must be [" + side + "," + side + "] like the input, got " +
                         model::shapeString(map.sizes()));
    if (targetClass < 0 || targetClass >= config.numClasses)
        throw UsageError("target class " + std::to_string(targetClass) + " is out of range: the model has " +
                         std::to_string(config.numClasses) + " classes (0.." + std::to_string(config.numClasses - 1) + ")");
    if (!torch::isfinite(map.detach()).all().item<bool>())
        throw UsageError(name + ": the map has NaN or infinite values");
}

std::vector<double> targetProbabilities(model::VisionTransformer& model,
                                        const std::function<torch::Tensor(std::int64_t begin, std::int64_t end)>& imagesBetween,
                                        std::int64_t count, std::int64_t targetClass, int batchSize) {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> probabilities;
    for (std::int64_t begin = 0; begin < count; begin += batchSize) {
        const auto end = std::min<std::int64_t>(begin + batchSize, count);
        const auto logits = model->forward(imagesBetween(begin, end), model::logitsOnly()).logits;
        probabilities.push_back(torch::softmax(logits, 1).select(1, targetClass).to(torch::kCPU, torch::kFloat64));
    }
    const auto all = torch::cat(probabilities).contiguous();
    return {all.data_ptr<double>(), all.data_ptr<double>() + all.numel()};
}

double trapezoidArea(const std::vector<double>& x, const std::vector<double>& y) {
    double area = 0;
    for (size_t i = 1; i < x.size(); ++i)
        area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
    return area;
}

} // namespace intermap::eval
