#include "intermap/model/initialisation.h"

#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace intermap::model {
namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isPrefixToken(const std::string& name) {
    return name == "pos_embed" || name == "cls_token" || name == "dist_token" || name == "reg_token";
}

// One parameter drawn by timm's rule; `draw` fills a tensor with N(0, 0.02) (from the global or
// a seeded generator). The patch projection is left alone (it keeps PyTorch's default).
void initialiseParameter(const std::string& name, torch::Tensor value, const std::function<void(torch::Tensor)>& draw) {
    const auto truncatedNormal = [&](torch::Tensor tensor) {
        draw(tensor);
        tensor.clamp_(-0.04, 0.04);
    };
    if (isPrefixToken(name)) {
        truncatedNormal(value);
    } else if (name.rfind("patch_embed", 0) == 0) {
        return;
    } else if (name.find("norm") != std::string::npos) {
        endsWith(name, "weight") ? value.fill_(1.0) : value.zero_();
    } else if (endsWith(name, "bias")) {
        value.zero_();
    } else {
        truncatedNormal(value);
    }
}

} // namespace

void initialiseLikeTimm(VisionTransformer& vit) {
    torch::NoGradGuard noGrad;
    for (auto& parameter : vit->named_parameters())
        initialiseParameter(parameter.key(), parameter.value(), [](torch::Tensor tensor) { tensor.normal_(0.0, 0.02); });
}

std::vector<std::string> randomisationGroups(const VitConfig& config) {
    std::vector<std::string> groups{"head"};
    for (std::int64_t block = config.depth - 1; block >= 0; --block)
        groups.push_back("block" + std::to_string(block));
    groups.push_back("embedding");
    return groups;
}

std::string randomisationGroupOf(const std::string& parameterName) {
    if (parameterName.rfind("blocks.", 0) == 0) {
        const auto dot = parameterName.find('.', 7);
        return "block" + parameterName.substr(7, dot - 7);
    }
    if (isPrefixToken(parameterName) || parameterName.rfind("patch_embed.", 0) == 0)
        return "embedding";
    return "head"; // head.*, head_dist.*, norm.* (the final norm, also fc_norm's)
}

void reinitialiseGroup(VisionTransformer& vit, const std::string& group, std::uint64_t seed) {
    const auto groups = randomisationGroups(vit->config());
    const auto found = std::find(groups.begin(), groups.end(), group);
    if (found == groups.end())
        throw UsageError("no layer group '" + group + "' in a " + vit->config().describe());
    // Drawn on the CPU from its own generator, then copied to the model's device: the same
    // weights on CPU and CUDA.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(
        util::mixSeed(seed, static_cast<std::uint64_t>(found - groups.begin())));
    const auto cpuDraw = [&](torch::Tensor target, const std::function<void(torch::Tensor)>& fill) {
        torch::Tensor fresh = torch::empty(target.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
        fill(fresh);
        target.copy_(fresh);
    };
    torch::NoGradGuard noGrad;
    for (auto& parameter : vit->named_parameters()) {
        const std::string& name = parameter.key();
        if (randomisationGroupOf(name) != group)
            continue;
        torch::Tensor value = parameter.value();
        if (name.rfind("patch_embed.", 0) == 0) {
            // PyTorch's Conv2d default: kaiming_uniform_(a=sqrt(5)) for the weight and
            // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias; both bounds are 1/sqrt(fan_in).
            const auto& weight = vit->patchEmbed->proj->weight;
            const double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1) * weight.size(2) * weight.size(3)));
            cpuDraw(value, [&](torch::Tensor tensor) { tensor.uniform_(-bound, bound, generator); });
            continue;
        }
        initialiseParameter(name, value, [&](torch::Tensor tensor) {
            cpuDraw(tensor, [&](torch::Tensor fresh) { fresh.normal_(0.0, 0.02, generator); });
        });
    }
}

LoadedVit copyVit(const LoadedVit& original) {
    LoadedVit copy = original;
    copy.model = VisionTransformer(original.config);
    const torch::Tensor reference = original.model->parameters().front();
    copy.model->to(reference.device(), reference.scalar_type());
    torch::NoGradGuard noGrad;
    const auto sourceParameters = original.model->named_parameters();
    for (auto& parameter : copy.model->named_parameters())
        parameter.value().copy_(sourceParameters[parameter.key()]);
    const auto sourceBuffers = original.model->named_buffers();
    for (auto& buffer : copy.model->named_buffers())
        buffer.value().copy_(sourceBuffers[buffer.key()]);
    copy.model->train(original.model->is_training());
    for (auto& target : copy.model->parameters())
        target.set_requires_grad(false);
    return copy;
}

} // namespace intermap::model
