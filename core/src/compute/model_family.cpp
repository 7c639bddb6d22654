#include "intermap/model/model_family.h"

#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <unordered_set>

namespace intermap::model {
namespace {

using Entries = std::vector<std::pair<std::string, torch::Tensor>>;

bool startsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

// One renaming rule: a key matching `pattern` at its start becomes `replacement` ($1 = block
// index) followed by the rest of the key.
struct Rule {
    std::regex pattern;
    std::string replacement;
};

std::vector<Rule> rules(std::initializer_list<std::pair<const char*, const char*>> table) {
    std::vector<Rule> result;
    for (const auto& [pattern, replacement] : table)
        result.push_back({std::regex(std::string("^") + pattern), replacement});
    return result;
}

// The key in timm's layout, or nullopt when no rule matches.
std::optional<std::string> renamed(const std::string& key, const std::vector<Rule>& table) {
    for (const Rule& rule : table) {
        std::smatch match;
        if (std::regex_search(key, match, rule.pattern))
            return match.format(rule.replacement) + match.suffix().str();
    }
    return std::nullopt;
}

// Renames every key of `dict` by `table`; keys no rule matches are kept as they are (loading then
// names them as unexpected), `ignored` ones are dropped and listed, as are the keys left unread.
Entries renameAll(const StateDict& dict, const std::vector<Rule>& table, const std::vector<std::regex>& ignored,
                  FamilyMapping& mapping) {
    mapping.ignoredKeys.insert(mapping.ignoredKeys.end(), dict.unreadKeys.begin(), dict.unreadKeys.end());
    Entries out;
    for (const auto& [key, tensor] : dict.entries) {
        if (std::any_of(ignored.begin(), ignored.end(), [&](const std::regex& pattern) { return std::regex_search(key, pattern); })) {
            mapping.ignoredKeys.push_back(key);
            continue;
        }
        out.emplace_back(renamed(key, table).value_or(key), tensor);
    }
    return out;
}

const torch::Tensor* findIn(const Entries& entries, const std::string& key) {
    for (const auto& [name, tensor] : entries)
        if (name == key)
            return &tensor;
    return nullptr;
}

// Blocks whose attention has no qkv bias (Hugging Face qkv_bias=False, MONAI's default) get a
// zero one: the same function, and one ViT shape to load into.
void addMissingQkvBiases(Entries& entries) {
    static const std::regex qkvWeight(R"(^blocks\.(\d+)\.attn\.qkv\.weight$)");
    Entries added;
    for (const auto& [name, tensor] : entries) {
        std::smatch match;
        if (std::regex_match(name, match, qkvWeight)) {
            const std::string bias = "blocks." + match[1].str() + ".attn.qkv.bias";
            if (!findIn(entries, bias))
                added.emplace_back(bias, torch::zeros({tensor.size(0)}, tensor.options()));
        }
    }
    entries.insert(entries.end(), added.begin(), added.end());
}

// A key of the file, read or left unread.
bool hasKey(const StateDict& dict, const std::string& name) {
    return dict.contains(name) || std::find(dict.unreadKeys.begin(), dict.unreadKeys.end(), name) != dict.unreadKeys.end();
}

// What a checkpoint's key names alone say: its family, and the prefixes to look past.
struct KeyLayout {
    ModelFamily family = ModelFamily::Timm;
    std::string huggingFacePrefix; // "vit.", "deit.", "dinov2.", "dinov2_with_registers." or ""
    std::string wrapperPrefix;     // a training framework's module prefix on every key ("model."), or ""
};

std::optional<ModelFamily> detect(const std::unordered_set<std::string>& names, std::string& huggingFacePrefix) {
    if (names.count("patch_embed.proj.weight"))
        return ModelFamily::Timm;
    // ViTForImageClassification, DeiTFor..., Dinov2For..., Dinov2WithRegistersFor..., or a bare model.
    for (const char* prefix : {"vit.", "deit.", "dinov2.", "dinov2_with_registers.", ""})
        if (names.count(std::string(prefix) + "embeddings.patch_embeddings.projection.weight")) {
            huggingFacePrefix = prefix;
            return ModelFamily::HuggingFace;
        }
    if (names.count("conv_proj.weight") && names.count("class_token"))
        return ModelFamily::Torchvision;
    if (names.count("patch_embedding.patch_embeddings.weight"))
        return ModelFamily::Monai;
    return std::nullopt;
}

// The one first path component every name shares past its first `skipped` characters ("model."
// in a Lightning module's state dict), or "".
std::string commonFirstComponent(const std::vector<std::string>& names, std::size_t skipped) {
    if (names.empty())
        return {};
    const std::string& first = names.front();
    const auto dot = first.find('.', skipped);
    if (dot == std::string::npos)
        return {};
    const std::string prefix = first.substr(skipped, dot + 1 - skipped);
    for (const auto& name : names)
        if (name.compare(skipped, prefix.size(), prefix) != 0 || name.size() == skipped + prefix.size())
            return {};
    return prefix;
}

std::optional<KeyLayout> detectLayout(const std::vector<std::string>& names) {
    KeyLayout layout;
    const auto namesPast = [&](std::size_t skipped) {
        std::unordered_set<std::string> set;
        for (const auto& name : names)
            set.insert(name.substr(std::min(skipped, name.size())));
        return set;
    };
    std::optional<ModelFamily> family = detect(namesPast(0), layout.huggingFacePrefix);
    // A training framework's wrapper module (Lightning's self.model, self.net, ...) prefixes every
    // key with its attribute name; up to two such levels are looked past.
    for (int level = 0; level < 2 && !family; ++level) {
        const std::string prefix = commonFirstComponent(names, layout.wrapperPrefix.size());
        if (prefix.empty())
            break;
        layout.wrapperPrefix += prefix;
        family = detect(namesPast(layout.wrapperPrefix.size()), layout.huggingFacePrefix);
    }
    if (!family)
        return std::nullopt;
    layout.family = *family;
    return layout;
}

// The keys (past the wrapper prefix) a family saves but its classifier never uses. The one list:
// the loader leaves them unread (keysTheModelDoesNotUse) and the mapping drops and names them.
std::vector<std::regex> unusedKeyPatterns(const KeyLayout& layout) {
    switch (layout.family) {
    case ModelFamily::Timm: return {std::regex(R"(^mask_token$)")}; // Meta's DINOv2 (torch.hub)
    case ModelFamily::Torchvision: return {};
    // Recent MONAI TransformerBlocks carry cross-attention layers that ViT never calls.
    case ModelFamily::Monai: return {std::regex(R"(^blocks\.\d+\.(norm_cross_attn|cross_attn)\.)")};
    case ModelFamily::HuggingFace: {
        // ViTModel's pooler (dense + tanh on CLS) is not used by ViTForImageClassification's classifier.
        const std::string p = std::regex_replace(layout.huggingFacePrefix, std::regex(R"(\.)"), R"(\.)");
        return {std::regex("^" + p + R"(pooler\.)"), std::regex("^" + p + R"(embeddings\.mask_token$)")};
    }
    }
    return {};
}

// For a refusal: what the keys look like when they are not a ViT intermap reads.
std::string recognisedArchitecture(const StateDict& dict) {
    struct Sign {
        const char* fragment;
        const char* architecture;
    };
    static const Sign signs[] = {
        {"relative_position_bias_table", "a Swin Transformer"},
        {"downsample_layers.", "a ConvNeXt"},
        {".dwconv.", "a ConvNeXt"},
        {"layer1.0.conv1.", "a ResNet"},
        {"patch_embed.backbone.", "a hybrid CNN-ViT"},
        {"patch_embedding.patch_embeddings.1.", "a MONAI ViT with a perceptron patch embedding"},
        {"features.0.", "a torchvision CNN"},
    };
    for (const Sign& sign : signs)
        for (const auto& entry : dict.entries)
            if (entry.first.find(sign.fragment) != std::string::npos)
                return std::string(sign.architecture) + " (key '" + entry.first + "')";
    return {};
}

[[noreturn]] void refuseUnknown(const StateDict& dict) {
    std::string firstKeys;
    for (std::size_t i = 0; i < dict.entries.size() && i < 4; ++i)
        firstKeys += (i ? "', '" : "'") + dict.entries[i].first;
    const std::string recognised = recognisedArchitecture(dict);
    throw CheckpointError(
        dict.sourcePath,
        (recognised.empty() ? std::string("not a Vision Transformer intermap can open")
                            : "looks like " + recognised + ", not a Vision Transformer intermap can open") +
            ": none of the ViT layouts it reads matched (timm 'patch_embed.proj.weight', Hugging Face "
            "'vit.embeddings.patch_embeddings.projection.weight', torchvision 'conv_proj.weight' + 'class_token', "
            "MONAI 'patch_embedding.patch_embeddings.weight'); the file starts with " +
            (firstKeys.empty() ? std::string("no keys") : firstKeys + "'"));
}

// Blocks intermap's ViT does not have: refused by name, not mis-loaded.
void refuseUnsupportedBlocks(const StateDict& dict, const Entries& entries) {
    for (const auto& [key, tensor] : entries)
        if (key.find(".mlp.w12.") != std::string::npos || key.find(".mlp.weights_in.") != std::string::npos)
            throw CheckpointError(dict.sourcePath, "a ViT with a SwiGLU MLP (key '" + key +
                                                       "', e.g. DINOv2 giant), which intermap's ViT (GELU MLP) does not have");
}

// The position rows of every prefix token (CLS, distillation, registers) in pos_embed, zero
// where the family adds no position: timm's no_embed_class models (DeiT III, DINOv2 with
// registers) add positions to the patches only; Meta's DINOv2 and Hugging Face insert the
// registers after adding positions to CLS and the patches. The same function in the one layout.
void completePrefixPositions(Entries& entries, FamilyMapping& mapping) {
    const torch::Tensor* registers = findIn(entries, "reg_token");
    const std::int64_t registerCount = registers && registers->dim() == 3 ? registers->size(1) : 0;
    const std::int64_t beforeRegisters = 1 + (findIn(entries, "dist_token") ? 1 : 0);
    const std::int64_t prefix = beforeRegisters + registerCount;
    for (auto& [name, positions] : entries) {
        if (name != "pos_embed" || positions.dim() != 3)
            continue;
        const auto isSquare = [](std::int64_t n) {
            const auto root = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(std::max<std::int64_t>(n, 0)))));
            return n > 0 && root * root == n;
        };
        const std::int64_t rows = positions.size(1);
        const auto zeros = [&](std::int64_t count) {
            return torch::zeros({1, count, positions.size(2)}, positions.options());
        };
        if (isSquare(rows - prefix))
            return;
        if (registerCount > 0 && isSquare(rows - beforeRegisters)) {
            positions = torch::cat({positions.slice(1, 0, beforeRegisters), zeros(registerCount), positions.slice(1, beforeRegisters)}, 1);
            mapping.notes.push_back("the register tokens are added after the position embedding (no position of their own)");
        } else if (isSquare(rows)) {
            positions = torch::cat({zeros(prefix), positions}, 1);
            mapping.notes.push_back("positions are added to the patches only (timm's no_embed_class)");
        }
        return;
    }
}

FamilyMapping mapTimm(StateDict& dict, const KeyLayout& layout) {
    if (dict.contains("fc_norm.weight") && dict.contains("norm.weight"))
        throw CheckpointError(dict.sourcePath, "a timm ViT with both norm and fc_norm (a global-average-pooled head "
                                               "after a final norm), which intermap does not read");
    FamilyMapping mapping;
    mapping.family = ModelFamily::Timm;
    mapping.layerNormEps = 1e-6;
    // Meta's DINOv2 (torch.hub) saves timm's block names with register_tokens and a mask_token.
    const bool metaDinov2 = hasKey(dict, "register_tokens") || hasKey(dict, "mask_token");
    static const std::vector<Rule> table = rules({{R"(register_tokens$)", "reg_token"}});
    Entries entries = renameAll(dict, table, unusedKeyPatterns(layout), mapping);
    refuseUnsupportedBlocks(dict, entries);
    completePrefixPositions(entries, mapping);
    dict.entries = std::move(entries);
    if (metaDinov2)
        mapping.layout = "Meta DINOv2 (torch.hub)";
    if (!mapping.ignoredKeys.empty())
        mapping.notes.push_back("the mask token is ignored (used in masked-image pre-training only)");
    return mapping;
}

FamilyMapping mapTorchvision(StateDict& dict) {
    if (dict.contains("heads.pre_logits.weight"))
        throw CheckpointError(dict.sourcePath, "a torchvision ViT with a representation layer (heads.pre_logits: "
                                               "representation_size was set), which intermap does not read");
    static const std::vector<Rule> table = rules({
        {R"(class_token$)", "cls_token"},
        {R"(encoder\.pos_embedding$)", "pos_embed"},
        {R"(conv_proj\.)", "patch_embed.proj."},
        {R"(encoder\.ln\.)", "norm."},
        {R"(heads\.head\.)", "head."},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.ln_1\.)", "blocks.$1.norm1."},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.ln_2\.)", "blocks.$1.norm2."},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$)", "blocks.$1.attn.qkv.weight"},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$)", "blocks.$1.attn.qkv.bias"},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.)", "blocks.$1.attn.proj."},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.mlp\.(0|linear_1)\.)", "blocks.$1.mlp.fc1."},
        {R"(encoder\.layers\.encoder_layer_(\d+)\.mlp\.(3|linear_2)\.)", "blocks.$1.mlp.fc2."},
    });
    FamilyMapping mapping;
    mapping.family = ModelFamily::Torchvision;
    mapping.layerNormEps = 1e-6;
    dict.entries = renameAll(dict, table, {}, mapping);
    return mapping;
}

FamilyMapping mapMonai(StateDict& dict, const KeyLayout& layout) {
    if (!dict.contains("cls_token"))
        throw CheckpointError(dict.sourcePath, "a MONAI ViT without a CLS token (classification=False): "
                                               "intermap explains classifiers");
    static const std::vector<Rule> table = rules({
        {R"(patch_embedding\.patch_embeddings\.)", "patch_embed.proj."},
        {R"(classification_head\.0\.)", "head."},
        {R"(classification_head\.)", "head."},
        {R"(blocks\.(\d+)\.attn\.out_proj\.)", "blocks.$1.attn.proj."},
        {R"(blocks\.(\d+)\.mlp\.linear1\.)", "blocks.$1.mlp.fc1."},
        {R"(blocks\.(\d+)\.mlp\.linear2\.)", "blocks.$1.mlp.fc2."},
    });
    FamilyMapping mapping;
    mapping.family = ModelFamily::Monai;
    mapping.layerNormEps = 1e-5; // nn.LayerNorm's default, which MONAI keeps
    const bool tanhHead = dict.contains("classification_head.0.weight");
    const torch::Tensor* positions = dict.find("patch_embedding.position_embeddings");
    Entries entries = renameAll(dict, table, unusedKeyPatterns(layout), mapping);
    if (positions) {
        // MONAI adds positions to the patches only; a zero row for CLS is the same model in timm's layout.
        const torch::Tensor withCls = torch::cat({torch::zeros({1, 1, positions->size(-1)}, positions->options()), *positions}, 1);
        for (auto& [name, tensor] : entries)
            if (name == "patch_embedding.position_embeddings") {
                name = "pos_embed";
                tensor = withCls;
            }
    }
    addMissingQkvBiases(entries);
    dict.entries = std::move(entries);
    if (!mapping.ignoredKeys.empty())
        mapping.notes.push_back(std::to_string(mapping.ignoredKeys.size()) +
                                " cross-attention keys ignored (MONAI's TransformerBlock saves them; ViT never calls them)");
    if (tanhHead)
        mapping.notes.push_back("MONAI's head ends in Tanh (post_activation): logits and maps are those of the linear "
                                "layer before it, which Tanh does not reorder");
    return mapping;
}

FamilyMapping mapHuggingFace(StateDict& dict, const ModelMetadata& metadata, const KeyLayout& layout) {
    const std::string& prefix = layout.huggingFacePrefix;
    if (!metadata.hiddenActivation.empty() && metadata.hiddenActivation != "gelu")
        throw CheckpointError(metadata.sourcePath, "hidden_act '" + metadata.hiddenActivation +
                                                       "': intermap's ViT uses the exact GELU ('gelu') only");
    const std::string p = std::regex_replace(prefix, std::regex(R"(\.)"), R"(\.)");
    const std::string layer = p + R"(encoder\.layer\.(\d+)\.)";
    const std::vector<Rule> table = rules({
        {(p + R"(embeddings\.cls_token$)").c_str(), "cls_token"},
        {(p + R"(embeddings\.distillation_token$)").c_str(), "dist_token"},
        {(p + R"(embeddings\.register_tokens$)").c_str(), "reg_token"},
        {(p + R"(embeddings\.position_embeddings$)").c_str(), "pos_embed"},
        {(p + R"(embeddings\.patch_embeddings\.projection\.)").c_str(), "patch_embed.proj."},
        {(p + R"(layernorm\.)").c_str(), "norm."},
        {R"((cls_)?classifier\.)", "head."},
        {R"(distillation_classifier\.)", "head_dist."},
        {(layer + R"(layernorm_before\.)").c_str(), "blocks.$1.norm1."},
        {(layer + R"(layernorm_after\.)").c_str(), "blocks.$1.norm2."},
        {(layer + R"(attention\.output\.dense\.)").c_str(), "blocks.$1.attn.proj."},
        {(layer + R"(intermediate\.dense\.)").c_str(), "blocks.$1.mlp.fc1."},
        {(layer + R"(output\.dense\.)").c_str(), "blocks.$1.mlp.fc2."},
        {(layer + R"(attention\.attention\.(query|key|value)\.)").c_str(), "blocks.$1.attn.$2."},
        // DINOv2's block names
        {(layer + R"(norm(1|2)\.)").c_str(), "blocks.$1.norm$2."},
        {(layer + R"(mlp\.(fc1|fc2)\.)").c_str(), "blocks.$1.mlp.$2."},
        {(layer + R"(layer_scale(1|2)\.lambda1$)").c_str(), "blocks.$1.ls$2.gamma"},
    });
    FamilyMapping mapping;
    mapping.family = ModelFamily::HuggingFace;
    // ViTConfig's and DeiTConfig's default 1e-12; Dinov2Config's 1e-6.
    const bool dinov2 = metadata.modelType.rfind("dinov2", 0) == 0 || startsWith(prefix, "dinov2");
    mapping.layerNormEps = metadata.layerNormEps.value_or(dinov2 ? 1e-6 : 1e-12);
    Entries entries = renameAll(dict, table, unusedKeyPatterns(layout), mapping);

    // query, key and value -> one qkv in timm's order (q rows, then k, then v).
    static const std::regex part(R"(^blocks\.(\d+)\.attn\.(query|key|value)\.(weight|bias)$)");
    std::map<std::string, std::map<std::string, torch::Tensor>> parts; // "blocks.0.attn.qkv.weight" -> q/k/v
    Entries merged;
    for (auto& [name, tensor] : entries) {
        std::smatch match;
        if (std::regex_match(name, match, part))
            parts["blocks." + match[1].str() + ".attn.qkv." + match[3].str()][match[2].str()] = tensor;
        else
            merged.emplace_back(name, tensor);
    }
    for (auto& [name, qkv] : parts) {
        for (const char* role : {"query", "key", "value"})
            if (!qkv.count(role))
                throw CheckpointError(dict.sourcePath, "'" + name + "': the attention's " + role + " is missing");
        merged.emplace_back(name, torch::cat({qkv["query"], qkv["key"], qkv["value"]}, 0));
    }
    addMissingQkvBiases(merged);
    refuseUnsupportedBlocks(dict, merged);
    completePrefixPositions(merged, mapping);
    dict.entries = std::move(merged);
    for (const auto& key : mapping.ignoredKeys)
        if (key.find("pooler.") != std::string::npos) {
            mapping.notes.push_back("the pooler is ignored: the image classifiers classify the normalised tokens");
            break;
        }
    if (std::any_of(mapping.ignoredKeys.begin(), mapping.ignoredKeys.end(),
                    [](const std::string& key) { return key.find("mask_token") != std::string::npos; }))
        mapping.notes.push_back("the mask token is ignored (used in masked-image pre-training only)");
    return mapping;
}

bool isLightningCheckpoint(const StateDict& dict) {
    const auto has = [&](const char* name) {
        return std::find(dict.ignoredEntries.begin(), dict.ignoredEntries.end(), name) != dict.ignoredEntries.end();
    };
    return dict.wrapperKey == "state_dict" && (has("pytorch-lightning_version") || (has("epoch") && has("global_step")));
}

} // namespace

const char* familyName(ModelFamily family) {
    switch (family) {
    case ModelFamily::Timm: return "timm";
    case ModelFamily::HuggingFace: return "Hugging Face";
    case ModelFamily::Torchvision: return "torchvision";
    case ModelFamily::Monai: return "MONAI";
    }
    return "?";
}

std::vector<std::string> keysTheModelDoesNotUse(const std::vector<std::string>& names) {
    const std::optional<KeyLayout> layout = detectLayout(names);
    if (!layout)
        return {};
    const std::vector<std::regex> unused = unusedKeyPatterns(*layout);
    std::vector<std::string> result;
    for (const auto& name : names) {
        const std::string key = name.substr(layout->wrapperPrefix.size());
        if (std::any_of(unused.begin(), unused.end(), [&](const std::regex& pattern) { return std::regex_search(key, pattern); }))
            result.push_back(name);
    }
    return result;
}

FamilyMapping mapToTimmLayout(StateDict& dict, const ModelMetadata& metadata) {
    std::vector<std::string> names;
    for (const auto& entry : dict.entries)
        names.push_back(entry.first);
    names.insert(names.end(), dict.unreadKeys.begin(), dict.unreadKeys.end());
    const std::optional<KeyLayout> layout = detectLayout(names);
    if (!layout)
        refuseUnknown(dict);
    const std::string& stripped = layout->wrapperPrefix;
    for (auto& entry : dict.entries)
        entry.first.erase(0, stripped.size());
    for (auto& key : dict.unreadKeys)
        key.erase(0, stripped.size());

    FamilyMapping mapping;
    switch (layout->family) {
    case ModelFamily::Timm: mapping = mapTimm(dict, *layout); break;
    case ModelFamily::Torchvision: mapping = mapTorchvision(dict); break;
    case ModelFamily::Monai: mapping = mapMonai(dict, *layout); break;
    case ModelFamily::HuggingFace: mapping = mapHuggingFace(dict, metadata, *layout); break;
    }
    if (mapping.layout.empty())
        mapping.layout = familyName(layout->family);
    if (isLightningCheckpoint(dict))
        mapping.layout = "PyTorch Lightning checkpoint of a " + mapping.layout + " ViT";
    if (!stripped.empty())
        mapping.layout += " (keys under '" + stripped + "')";
    return mapping;
}

} // namespace intermap::model
