#include "intermap/model/vit.h"

#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace intermap::model {

std::string shapeString(c10::IntArrayRef sizes) {
    std::ostringstream out;
    out << '[';
    for (size_t i = 0; i < sizes.size(); ++i)
        out << (i ? "," : "") << sizes[i];
    out << ']';
    return out.str();
}

namespace {

const torch::Tensor& requireTensor(const StateDict& dict, const std::string& key, const char* why) {
    const torch::Tensor* tensor = dict.find(key);
    if (!tensor)
        throw CheckpointError(dict.sourcePath, "not a ViT state dict: key '" + key + "' is missing (" + why + ")");
    return *tensor;
}

// The ATen linear (what PyTorch's nn.Linear calls): for a contiguous [B,N,C] input it folds the
// batch into one addmm with the bias fused. LibTorch 1.13's C++ Linear module instead runs
// matmul + a separate bias add (and, in backward, a bias reduction): measured 10-15 % slower per
// vit-tiny training step here (BENCHMARKS.md).
// The model computes in its input's dtype: a float64 input runs in double on the float32
// weights, cast one layer at a time (Chefer's float64 LRP without a double copy of the model;
// to() of a tensor already in that dtype is the tensor itself, so float32 costs nothing).
torch::Tensor inDtypeOf(const torch::Tensor& weight, const torch::Tensor& x) {
    return weight.defined() ? weight.to(x.scalar_type()) : weight;
}

torch::Tensor applyLinear(const torch::nn::Linear& layer, const torch::Tensor& x) {
    return torch::linear(x, inDtypeOf(layer->weight, x), inDtypeOf(layer->bias, x));
}

torch::Tensor applyLayerNorm(const torch::nn::LayerNorm& norm, const torch::Tensor& x) {
    return torch::layer_norm(x, norm->options.normalized_shape(), inDtypeOf(norm->weight, x), inDtypeOf(norm->bias, x),
                             norm->options.eps());
}

torch::nn::LayerNorm makeLayerNorm(std::int64_t dim, double eps) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps).elementwise_affine(true));
}

// Set while a model is built from a checkpoint: Linear layers are then created as 1x1
// placeholders whose weight and bias are replaced by the checkpoint's tensors at once, so the
// ~86 M values of a ViT-B are neither allocated nor drawn at random only to be thrown away.
thread_local bool t_buildingFromWeights = false;

torch::nn::Linear makeLinear(std::int64_t inputs, std::int64_t outputs) {
    return t_buildingFromWeights ? torch::nn::Linear(1, 1) : torch::nn::Linear(inputs, outputs);
}

// Which dict entry each model parameter reads: its own name, except that fc_norm.* stands for
// norm.* when the dict has no norm.* (the norm after average pooling; for the study's MAE init
// applied to the CLS token).
std::map<std::string, const torch::Tensor*> weightsByParameterName(const StateDict& dict) {
    std::map<std::string, const torch::Tensor*> byName;
    for (const auto& [key, tensor] : dict.entries) {
        const bool maeFinalNorm = key.rfind("fc_norm.", 0) == 0 && !dict.contains("norm" + key.substr(7));
        byName[maeFinalNorm ? "norm" + key.substr(7) : key] = &tensor;
    }
    return byName;
}

// Hands the checkpoint's tensors to the model being built (requireWeightsFitting checked them).
class ParameterAdoption {
public:
    explicit ParameterAdoption(const StateDict& dict) : m_byName(weightsByParameterName(dict)) {
        t_buildingFromWeights = true;
    }
    ~ParameterAdoption() { t_buildingFromWeights = false; }
    ParameterAdoption(const ParameterAdoption&) = delete;
    ParameterAdoption& operator=(const ParameterAdoption&) = delete;

    // The tensor the parameter `name` becomes: the dict's own when it is dense float32 and no
    // other parameter holds its storage yet (no copy), else a float32 copy of its own.
    torch::Tensor tensor(const std::string& name) {
        const torch::Tensor& source = *m_byName.at(name);
        if (source.scalar_type() == torch::kFloat32 && source.is_contiguous() &&
            m_takenStorages.insert(source.storage().data()).second)
            return source.detach();
        return source.detach().to(torch::kFloat32).clone(torch::MemoryFormat::Contiguous);
    }

    // Every parameter of `module` (named `prefix` in the model) replaced by the checkpoint's;
    // the placeholder Linear layers' options then say their real sizes.
    void take(torch::nn::Module& module, const std::string& prefix) {
        torch::NoGradGuard noGrad;
        for (auto& parameter : module.named_parameters())
            parameter.value().set_data(tensor(prefix + parameter.key()));
        module.apply([](torch::nn::Module& child) {
            if (auto* linear = child.as<torch::nn::LinearImpl>())
                linear->options.in_features(linear->weight.size(1)).out_features(linear->weight.size(0));
        });
    }

private:
    std::map<std::string, const torch::Tensor*> m_byName;
    std::set<const void*> m_takenStorages;
};

// Beyond every ViT published (ViT-22B: width 6144, 48 blocks, 14x14 patches at 224 px), so only
// shapes made up to allocate are refused.
constexpr std::int64_t kMaxEmbedDim = 16384;
constexpr std::int64_t kMaxDepth = 256;
constexpr std::int64_t kMaxPatchSize = 1024;
constexpr std::int64_t kMaxTokens = 1 << 16;
constexpr std::int64_t kMaxMlpRatio = 16;

// Before the model is built: the inferred configuration within those limits and consistent, and
// the model no larger than the values the checkpoint stores. Every parameter must come from the
// file with its shape (loadWeights), so a configuration needing more values than the file holds
// is missing keys or has shapes made up from a few (e.g. 1000 'blocks.N' keys of one tiny
// tensor each): it is refused before gigabytes of parameters are allocated for it.
void requirePlausibleConfiguration(const VitConfig& config, const StateDict& dict) {
    const auto refuse = [&](const std::string& what) {
        throw CheckpointError(dict.sourcePath, "implausible ViT configuration (" + what + ")");
    };
    const auto limit = [&](const char* name, std::int64_t value, std::int64_t maximum) {
        if (value < 1 || value > maximum)
            refuse(std::string(name) + " " + std::to_string(value) + ", expected 1.." + std::to_string(maximum));
    };
    limit("width", config.embedDim, kMaxEmbedDim);
    limit("depth", config.depth, kMaxDepth);
    limit("patch size", config.patchSize, kMaxPatchSize);
    limit("tokens", config.numTokens(), kMaxTokens);
    limit("MLP width", config.mlpHiddenDim, kMaxMlpRatio * config.embedDim);
    limit("heads", config.numHeads, config.embedDim);
    if (config.registerTokens >= config.numTokens())
        refuse(std::to_string(config.registerTokens) + " register tokens for " + std::to_string(config.numTokens()) + " tokens");

    // A lower bound of the model's parameter count (weights only, no biases or norms), in double:
    // the limits above keep it far from overflow and exactness does not matter.
    const double width = static_cast<double>(config.embedDim);
    const double needed = width * 3.0 * static_cast<double>(config.patchSize * config.patchSize) +
                          width * static_cast<double>(config.numTokens()) +
                          static_cast<double>(config.depth) * (4.0 * width * width + 2.0 * width * static_cast<double>(config.mlpHiddenDim)) +
                          static_cast<double>(config.numClasses) * static_cast<double>(config.headInputs());
    double stored = 0.0;
    for (const auto& entry : dict.entries)
        stored += static_cast<double>(entry.second.numel());
    if (needed > stored)
        refuse(config.describe() + " needs at least " + std::to_string(static_cast<long long>(needed)) +
               " parameter values, the file stores " + std::to_string(static_cast<long long>(stored)) +
               ": keys are missing or their shapes do not belong to one model");
}

} // namespace

std::string VitConfig::describe() const {
    std::ostringstream out;
    out << "ViT " << embedDim << "x" << depth << "x" << numHeads << " (patch " << patchSize << ", " << imageSize
        << " px, ";
    if (hasHead())
        out << numClasses << (numClasses == 1 ? " class" : " classes")
            << (pooling == Pooling::MeanOfPatches     ? ", mean-pooled"
                : pooling == Pooling::ClsAndPatchMean ? ", CLS + patch mean"
                                                      : "");
    else
        out << "no classification head";
    if (distillationToken)
        out << (distillationHead ? ", distilled" : ", distillation token");
    if (registerTokens > 0)
        out << ", " << registerTokens << (registerTokens == 1 ? " register" : " registers");
    out << (layerScale ? ", LayerScale)" : ")");
    return out.str();
}

VitConfig inferVitConfig(const StateDict& dict, std::optional<std::int64_t> numHeads) {
    VitConfig config;
    const auto& patchWeight = requireTensor(dict, "patch_embed.proj.weight", "patch embedding");
    if (patchWeight.dim() != 4 || patchWeight.size(1) != 3 || patchWeight.size(2) != patchWeight.size(3))
        throw CheckpointError(dict.sourcePath, "patch_embed.proj.weight has shape " + shapeString(patchWeight.sizes()) +
                                                   ", expected [dim,3,patch,patch]");
    config.embedDim = patchWeight.size(0);
    config.patchSize = patchWeight.size(2);

    // Prefix tokens: CLS, then a distillation token, then registers (their order in the sequence).
    requireTensor(dict, "cls_token", "class token");
    config.distillationToken = dict.contains("dist_token");
    if (const torch::Tensor* registers = dict.find("reg_token")) {
        if (registers->dim() != 3 || registers->size(0) != 1 || registers->size(1) < 1 || registers->size(2) != config.embedDim)
            throw CheckpointError(dict.sourcePath, "reg_token has shape " + shapeString(registers->sizes()) +
                                                       ", expected [1, registers, " + std::to_string(config.embedDim) + "]");
        config.registerTokens = registers->size(1);
    }
    const std::int64_t prefix = config.prefixTokens();
    const auto& posEmbed = requireTensor(dict, "pos_embed", "position embedding");
    const std::int64_t tokens = posEmbed.dim() == 3 ? posEmbed.size(1) : -1;
    const auto grid = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(std::max<std::int64_t>(tokens - prefix, 0)))));
    if (posEmbed.dim() != 3 || posEmbed.size(0) != 1 || posEmbed.size(2) != config.embedDim || grid < 1 ||
        grid * grid + prefix != tokens)
        throw CheckpointError(dict.sourcePath, "pos_embed has shape " + shapeString(posEmbed.sizes()) + ", expected [1, " +
                                                   std::to_string(prefix) + "+grid*grid, " + std::to_string(config.embedDim) +
                                                   "] (" + std::to_string(prefix) + " prefix tokens)");
    config.imageSize = grid * config.patchSize;

    static const std::regex blockKey(R"(^blocks\.(\d{1,9})\.)"); // 9 digits: std::stoll cannot overflow
    std::set<std::int64_t> blockIndices;
    for (const auto& entry : dict.entries) {
        std::smatch match;
        if (std::regex_search(entry.first, match, blockKey))
            blockIndices.insert(std::stoll(match[1].str()));
    }
    if (blockIndices.empty())
        throw CheckpointError(dict.sourcePath, "not a ViT state dict: no 'blocks.N.*' keys");
    config.depth = static_cast<std::int64_t>(blockIndices.size());
    if (*blockIndices.rbegin() != config.depth - 1)
        throw CheckpointError(dict.sourcePath, "block indices are not contiguous: found " + std::to_string(config.depth) +
                                                   " blocks but the highest index is " + std::to_string(*blockIndices.rbegin()));

    config.mlpHiddenDim = requireTensor(dict, "blocks.0.mlp.fc1.weight", "MLP").size(0);
    if (dict.contains("fc_norm.weight") && !dict.contains("norm.weight"))
        config.pooling = VitConfig::Pooling::MeanOfPatches;
    config.layerScale = dict.contains("blocks.0.ls1.gamma");

    if (const torch::Tensor* head = dict.find("head.weight")) {
        // A head twice as wide as the model reads CLS and the patch mean side by side (HF DINOv2).
        if (head->dim() == 2 && head->size(1) == 2 * config.embedDim && config.pooling == VitConfig::Pooling::ClsToken)
            config.pooling = VitConfig::Pooling::ClsAndPatchMean;
        if (head->dim() != 2 || head->size(1) != config.headInputs())
            throw CheckpointError(dict.sourcePath, "head.weight has shape " + shapeString(head->sizes()) +
                                                       ", expected [classes," + std::to_string(config.headInputs()) + "]");
        config.numClasses = head->size(0);
    } else {
        config.numClasses = 0;
    }
    config.distillationHead = config.distillationToken && config.hasHead() && config.pooling == VitConfig::Pooling::ClsToken &&
                              dict.contains("head_dist.weight");

    // timm's convention (head_dim 64) is the only information there is; the user can override.
    config.numHeads = numHeads.value_or(std::max<std::int64_t>(1, config.embedDim / 64));
    if (config.numHeads <= 0 || config.embedDim % config.numHeads != 0)
        throw CheckpointError(dict.sourcePath, "embed dim " + std::to_string(config.embedDim) +
                                                   " is not divisible by " + std::to_string(config.numHeads) + " heads");
    requirePlausibleConfiguration(config, dict);
    return config;
}

VitAttentionImpl::VitAttentionImpl(std::int64_t dim, std::int64_t heads)
    : numHeads(heads), scale(1.0 / std::sqrt(static_cast<double>(dim / heads))) {
    qkv = register_module("qkv", makeLinear(dim, 3 * dim));
    proj = register_module("proj", makeLinear(dim, dim));
}

torch::Tensor VitAttentionImpl::forward(const torch::Tensor& x, BlockRecord* record) {
    const auto batch = x.size(0), tokens = x.size(1), channels = x.size(2);
    // [B,N,3C] -> [3, B, heads, N, head_dim], the order of timm and of Chefer's LRP model.
    // unbind, as timm: one backward node (a stack) instead of three full-size select scatters.
    const auto qkvHeads =
        applyLinear(qkv, x).reshape({batch, tokens, 3, numHeads, channels / numHeads}).permute({2, 0, 3, 1, 4}).unbind(0);
    return attendAndProject(qkvHeads[0], qkvHeads[1], qkvHeads[2], record);
}

torch::Tensor VitAttentionImpl::attendAndProject(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                                 BlockRecord* record) {
    // Each query's softmax(q k^T / sqrt(head_dim)) v, heads merged ([B,queries,C]), projected.
    auto attention = torch::matmul(q, k.transpose(-2, -1)).mul(scale).softmax(-1);
    auto mixed = torch::matmul(attention, v).transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});
    auto output = applyLinear(proj, mixed);
    if (record) {
        record->q = q;
        record->k = k;
        record->v = v;
        record->attention = attention;
        record->mixed = mixed;
        record->projected = output;
        record->attentionOut = output;
    }
    return output;
}

torch::Tensor VitAttentionImpl::forwardLeadingQueries(const torch::Tensor& x, std::int64_t queries, BlockRecord* record) {
    const auto batch = x.size(0), tokens = x.size(1), channels = x.size(2), headDim = channels / numHeads;
    // qkv's rows are q, k, v (C each): the queries' rows for the leading tokens, the keys' and
    // values' for every token (views of the weight, no copy).
    const auto weight = inDtypeOf(qkv->weight, x), bias = inDtypeOf(qkv->bias, x);
    const auto rows = [&](std::int64_t first, std::int64_t count) {
        return std::pair{weight.narrow(0, first, count), bias.defined() ? bias.narrow(0, first, count) : bias};
    };
    const auto [queryWeight, queryBias] = rows(0, channels);
    const auto [keyValueWeight, keyValueBias] = rows(channels, 2 * channels);
    const auto q = torch::linear(x.narrow(1, 0, queries), queryWeight, queryBias)
                       .reshape({batch, queries, numHeads, headDim})
                       .transpose(1, 2);
    const auto keysValues = torch::linear(x, keyValueWeight, keyValueBias)
                                .reshape({batch, tokens, 2, numHeads, headDim})
                                .permute({2, 0, 3, 1, 4})
                                .unbind(0);
    return attendAndProject(q, keysValues[0], keysValues[1], record);
}

VitMlpImpl::VitMlpImpl(std::int64_t dim, std::int64_t hiddenDim) {
    fc1 = register_module("fc1", makeLinear(dim, hiddenDim));
    fc2 = register_module("fc2", makeLinear(hiddenDim, dim));
}

torch::Tensor VitMlpImpl::forward(const torch::Tensor& x) {
    // Exact (erf) GELU as timm's nn.GELU default.
    return applyLinear(fc2, torch::gelu(applyLinear(fc1, x)));
}

LayerScaleImpl::LayerScaleImpl(std::int64_t dim) {
    gamma = register_parameter("gamma", torch::ones({dim}));
}

VitBlockImpl::VitBlockImpl(const VitConfig& config) {
    norm1 = register_module("norm1", makeLayerNorm(config.embedDim, config.layerNormEps));
    attn = register_module("attn", VitAttention(config.embedDim, config.numHeads));
    norm2 = register_module("norm2", makeLayerNorm(config.embedDim, config.layerNormEps));
    mlp = register_module("mlp", VitMlp(config.embedDim, config.mlpHiddenDim));
    if (config.layerScale) {
        ls1 = register_module("ls1", LayerScale(config.embedDim));
        ls2 = register_module("ls2", LayerScale(config.embedDim));
    }
}

torch::Tensor VitBlockImpl::scaled(const LayerScale& scale, const torch::Tensor& branch) const {
    return scale ? branch * inDtypeOf(scale->gamma, branch) : branch;
}

torch::Tensor VitBlockImpl::forward(const torch::Tensor& x, BlockRecord* record, bool full) {
    auto output = forwardLeadingTokens(x, x.size(1), record);
    if (record && !full) // the attention fields and norm1: the MLP's tensors are not kept past the call
        for (auto* field : {&record->input, &record->afterAttention, &record->norm2, &record->preActivation, &record->hidden,
                            &record->mlpProjected, &record->mlpOut})
            field->reset();
    return output;
}

torch::Tensor VitBlockImpl::forwardLeadingTokens(const torch::Tensor& x, std::int64_t tokens, BlockRecord* record) {
    const bool everyToken = tokens >= x.size(1); // the whole block (also a head that pools the patches)
    auto normalised = applyLayerNorm(norm1, x);
    auto attended =
        scaled(ls1, everyToken ? attn(normalised, record) : attn->forwardLeadingQueries(normalised, tokens, record));
    auto y = (everyToken ? x : x.narrow(1, 0, tokens)) + attended;
    if (!record)
        return y + scaled(ls2, mlp(applyLayerNorm(norm2, y)));
    // The same operations as the MLP's, each result kept.
    record->input = x;
    record->norm1 = normalised;
    record->attentionOut = attended;
    record->afterAttention = y;
    record->norm2 = applyLayerNorm(norm2, y);
    record->preActivation = applyLinear(mlp->fc1, record->norm2);
    record->hidden = torch::gelu(record->preActivation);
    record->mlpProjected = applyLinear(mlp->fc2, record->hidden);
    record->mlpOut = scaled(ls2, record->mlpProjected);
    return y + record->mlpOut;
}

PatchEmbedImpl::PatchEmbedImpl(std::int64_t patchSize, std::int64_t embedDim) {
    proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, embedDim, patchSize).stride(patchSize)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor& x) {
    return torch::conv2d(x, inDtypeOf(proj->weight, x), inDtypeOf(proj->bias, x), proj->options.stride())
        .flatten(2)
        .transpose(1, 2);
}

VisionTransformerImpl::VisionTransformerImpl(const VitConfig& config, const StateDict* weights) : m_config(config) {
    std::optional<ParameterAdoption> adoption;
    if (weights) {
        requireWeightsFitting(config, *weights);
        adoption.emplace(*weights);
    }
    // Each module takes its weights as soon as it exists: at most one block's placeholders and
    // the checkpoint are in memory at a time.
    const auto adopted = [&](auto module, const std::string& name) {
        if (adoption)
            adoption->take(*module, name + ".");
        return module;
    };
    const auto token = [&](const std::string& name, std::vector<std::int64_t> shape) {
        return register_parameter(name, adoption ? adoption->tensor(name) : torch::zeros(shape));
    };
    patchEmbed = register_module("patch_embed", adopted(PatchEmbed(config.patchSize, config.embedDim), "patch_embed"));
    clsToken = token("cls_token", {1, 1, config.embedDim});
    if (config.distillationToken)
        distToken = token("dist_token", {1, 1, config.embedDim});
    if (config.registerTokens > 0)
        regToken = token("reg_token", {1, config.registerTokens, config.embedDim});
    posEmbed = token("pos_embed", {1, config.numTokens(), config.embedDim});
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.depth; ++i)
        blocks->push_back(adopted(VitBlock(config), "blocks." + std::to_string(i)));
    norm = register_module("norm", adopted(makeLayerNorm(config.embedDim, config.layerNormEps), "norm"));
    if (config.hasHead())
        head = register_module("head", adopted(makeLinear(config.headInputs(), config.numClasses), "head"));
    if (config.distillationHead)
        headDist = register_module("head_dist", adopted(makeLinear(config.embedDim, config.numClasses), "head_dist"));
}

VitOutput VisionTransformerImpl::forward(const torch::Tensor& x, const VitTaps& taps) {
    if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != m_config.imageSize || x.size(3) != m_config.imageSize)
        throw UsageError("model input must be [B,3," + std::to_string(m_config.imageSize) + "," +
                         std::to_string(m_config.imageSize) + "], got " + shapeString(x.sizes()));
    const auto depth = static_cast<std::int64_t>(blocks->size());
    const bool partialGraph = taps.gradientsFromBlock >= 0;
    if (taps.lastBlockForTheHeadOnly && (taps.attentionProbabilities || taps.lastBlockAttention))
        throw Error("internal: the last block's attention was asked of a forward that computes the head's tokens only");
    // Restores the caller's grad mode on every exit, exceptions included.
    struct GradModeRestorer {
        bool previous = torch::GradMode::is_enabled();
        ~GradModeRestorer() { torch::GradMode::set_enabled(previous); }
    } restorer;
    if (partialGraph)
        torch::GradMode::set_enabled(false);

    VitOutput output;
    auto tokens = embed(x);
    if (taps.attentionProbabilities)
        output.attentions.resize(static_cast<size_t>(depth));

    for (std::int64_t i = 0; i < depth; ++i) {
        if (partialGraph && i == taps.gradientsFromBlock) {
            torch::GradMode::set_enabled(true);
            tokens = tokens.detach().requires_grad_(true);
        }
        if (taps.blockInputs)
            output.blockInputs.push_back(tokens.detach());
        const bool isLast = i == depth - 1;
        const bool wantRecord = taps.attentionProbabilities || (isLast && (taps.lastBlockNorm1 || taps.lastBlockAttention));
        BlockRecord record;
        auto& block = *blocks[i]->as<VitBlock>();
        if (isLast && taps.lastBlockForTheHeadOnly)
            tokens = block.forwardLeadingTokens(tokens, m_config.tokensTheHeadReads(), taps.lastBlockNorm1 ? &record : nullptr);
        else
            tokens = block.forward(tokens, wantRecord ? &record : nullptr);
        if (taps.attentionProbabilities)
            output.attentions[static_cast<size_t>(i)] = record.attention;
        if (isLast && taps.lastBlockNorm1)
            output.lastBlockNorm1 = record.norm1;
        if (isLast && wantRecord)
            output.lastAttention = record.attention;
    }
    if (taps.blockInputs)
        output.finalTokens = tokens.detach();
    VitHeadOutput head = headFrom(tokens);
    output.logits = std::move(head.logits);
    output.pooled = std::move(head.pooled);
    output.pooledDistillation = std::move(head.pooledDistillation);
    return output;
}

torch::Tensor VisionTransformerImpl::embed(const torch::Tensor& x) {
    std::vector<torch::Tensor> sequence{inDtypeOf(clsToken, x).expand({x.size(0), -1, -1})};
    for (const torch::Tensor& prefix : {distToken, regToken})
        if (prefix.defined())
            sequence.push_back(inDtypeOf(prefix, x).expand({x.size(0), -1, -1}));
    sequence.push_back(patchEmbed(x));
    return torch::cat(sequence, 1) + inDtypeOf(posEmbed, x);
}

VitHeadOutput VisionTransformerImpl::headFrom(const torch::Tensor& tokens) {
    // CLS-token pooling after the final norm; or (timm global_pool='avg') the patch tokens' mean
    // normalised by fc_norm (loaded into `norm`); or (HF DINOv2) the normalised CLS token beside
    // the mean of the normalised patch tokens.
    const std::int64_t firstPatch = m_config.prefixTokens();
    torch::Tensor pooled;
    torch::Tensor normalised;
    switch (m_config.pooling) {
    case VitConfig::Pooling::ClsToken:
        normalised = applyLayerNorm(norm, tokens);
        pooled = normalised.select(1, 0);
        break;
    case VitConfig::Pooling::MeanOfPatches:
        pooled = applyLayerNorm(norm, tokens.slice(1, firstPatch).mean(1));
        break;
    case VitConfig::Pooling::ClsAndPatchMean:
        normalised = applyLayerNorm(norm, tokens);
        pooled = torch::cat({normalised.select(1, 0), normalised.slice(1, firstPatch).mean(1)}, 1);
        break;
    }
    VitHeadOutput output;
    output.pooled = pooled;
    output.logits = head ? applyLinear(head, pooled) : pooled;
    if (headDist) {
        output.pooledDistillation = normalised.select(1, 1);
        output.logits = (output.logits + applyLinear(headDist, output.pooledDistillation)) / 2;
    }
    return output;
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> expectedParameters(const VitConfig& config) {
    const std::int64_t width = config.embedDim;
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected{{"cls_token", {1, 1, width}}};
    if (config.distillationToken)
        expected.push_back({"dist_token", {1, 1, width}});
    if (config.registerTokens > 0)
        expected.push_back({"reg_token", {1, config.registerTokens, width}});
    expected.push_back({"pos_embed", {1, config.numTokens(), width}});
    expected.push_back({"patch_embed.proj.weight", {width, 3, config.patchSize, config.patchSize}});
    expected.push_back({"patch_embed.proj.bias", {width}});
    const auto affine = [&](const std::string& name, std::int64_t outputs, std::int64_t inputs) {
        expected.push_back({name + ".weight", {outputs, inputs}});
        expected.push_back({name + ".bias", {outputs}});
    };
    const auto layerNorm = [&](const std::string& name) {
        expected.push_back({name + ".weight", {width}});
        expected.push_back({name + ".bias", {width}});
    };
    for (std::int64_t i = 0; i < config.depth; ++i) {
        const std::string block = "blocks." + std::to_string(i) + ".";
        layerNorm(block + "norm1");
        affine(block + "attn.qkv", 3 * width, width);
        affine(block + "attn.proj", width, width);
        layerNorm(block + "norm2");
        affine(block + "mlp.fc1", config.mlpHiddenDim, width);
        affine(block + "mlp.fc2", width, config.mlpHiddenDim);
        if (config.layerScale) {
            expected.push_back({block + "ls1.gamma", {width}});
            expected.push_back({block + "ls2.gamma", {width}});
        }
    }
    layerNorm("norm");
    if (config.hasHead())
        affine("head", config.numClasses, config.headInputs());
    if (config.distillationHead)
        affine("head_dist", config.numClasses, width);
    return expected;
}

void requireWeightsFitting(const VitConfig& config, const StateDict& dict) {
    const std::map<std::string, const torch::Tensor*> available = weightsByParameterName(dict);
    std::set<std::string> used;
    for (const auto& [name, shape] : expectedParameters(config)) {
        const auto found = available.find(name);
        if (found == available.end())
            throw CheckpointError(dict.sourcePath, "key '" + name + "' is missing; the model (" + config.describe() +
                                                       ") expects shape " + shapeString(shape));
        const torch::Tensor& tensor = *found->second;
        if (tensor.sizes() != c10::IntArrayRef(shape))
            throw CheckpointError(dict.sourcePath, "key '" + name + "' has shape " + shapeString(tensor.sizes()) +
                                                       ", model expects " + shapeString(shape));
        if (!torch::isFloatingType(tensor.scalar_type()))
            throw CheckpointError(dict.sourcePath, "key '" + name + "' holds " +
                                                       std::string(c10::toString(tensor.scalar_type())) +
                                                       " values; a parameter needs floating point");
        used.insert(name);
    }
    for (const auto& [name, tensor] : available)
        if (!used.count(name))
            throw CheckpointError(dict.sourcePath, "unexpected key '" + name + "' with shape " + shapeString(tensor->sizes()) +
                                                       " (not part of a " + config.describe() + ")");
}

void loadWeights(VisionTransformer& model, const StateDict& dict) {
    requireWeightsFitting(model->config(), dict);
    const std::map<std::string, const torch::Tensor*> available = weightsByParameterName(dict);
    torch::NoGradGuard noGrad;
    for (auto& parameter : model->named_parameters())
        parameter.value().copy_(*available.at(parameter.key()));
}

} // namespace intermap::model
