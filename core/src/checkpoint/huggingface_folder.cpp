#include "intermap/model/model_metadata.h"
#include "intermap/model/training_run_metadata.h"

#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace intermap::model {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json readJson(const fs::path& path) {
    const std::string text = util::readWholeFile<CheckpointError>(path.string(), "a JSON file");
    try {
        json parsed = json::parse(text);
        if (!parsed.is_object())
            throw CheckpointError(path.string(), "expected a JSON object");
        return parsed;
    } catch (const json::exception& error) {
        throw CheckpointError(path.string(), std::string("malformed JSON: ") + error.what());
    }
}

// A size or count: a whole number in [1, 2^20] (a hostile 1e300 must not reach a cast).
std::optional<std::int64_t> optionalCount(const json& object, const char* key, const fs::path& path) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null())
        return std::nullopt;
    constexpr std::int64_t kLargest = std::int64_t(1) << 20;
    if (!found->is_number_integer() || found->get<std::int64_t>() < 1 || found->get<std::int64_t>() > kLargest)
        throw CheckpointError(path.string(), std::string("'") + key + "' must be a whole number from 1 to " +
                                                 std::to_string(kLargest) + ", found " + found->dump());
    return found->get<std::int64_t>();
}

std::optional<double> optionalPositive(const json& object, const char* key, const fs::path& path) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null())
        return std::nullopt;
    if (!found->is_number() || !(found->get<double>() > 0.0) || !std::isfinite(found->get<double>()))
        throw CheckpointError(path.string(), std::string("'") + key + "' must be a positive number, found " + found->dump());
    return found->get<double>();
}

std::array<double, 3> channelTriple(const json& value, const char* key, const fs::path& path) {
    if (value.is_number())
        return {value.get<double>(), value.get<double>(), value.get<double>()};
    if (!value.is_array() || value.size() != 3 || !value[0].is_number() || !value[1].is_number() || !value[2].is_number())
        throw CheckpointError(path.string(), std::string("'") + key + "' must be three numbers (one per RGB channel)");
    const std::array<double, 3> triple{value[0].get<double>(), value[1].get<double>(), value[2].get<double>()};
    for (double channel : triple)
        if (!std::isfinite(channel))
            throw CheckpointError(path.string(), std::string("'") + key + "' must be finite");
    return triple;
}

// id2label {"0": "benign", "1": "malignant"} -> names in index order.
std::vector<std::string> classNamesOf(const json& config, const fs::path& path) {
    const auto found = config.find("id2label");
    if (found == config.end() || !found->is_object() || found->empty())
        return {};
    std::map<long long, std::string> byIndex;
    for (const auto& [key, value] : found->items()) {
        std::size_t used = 0;
        long long index = -1;
        try {
            index = std::stoll(key, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != key.size() || index < 0 || !value.is_string())
            throw CheckpointError(path.string(), "id2label entry '" + key + "' is not <index>: <name>");
        byIndex[index] = value.get<std::string>();
    }
    std::vector<std::string> names;
    for (const auto& [index, name] : byIndex) {
        if (index != static_cast<long long>(names.size()))
            throw CheckpointError(path.string(), "id2label indices are not 0.." + std::to_string(byIndex.size() - 1));
        names.push_back(name);
    }
    return names;
}

std::vector<std::string> shardsOf(const fs::path& index) {
    const json parsed = readJson(index);
    const auto map = parsed.find("weight_map");
    if (map == parsed.end() || !map->is_object() || map->empty())
        throw CheckpointError(index.string(), "no 'weight_map' naming the shards");
    std::vector<std::string> shards;
    std::set<std::string> seen;
    for (const auto& [tensor, file] : map->items()) {
        if (!file.is_string())
            throw CheckpointError(index.string(), "weight_map entry '" + tensor + "' is not a file name");
        const std::string name = file.get<std::string>();
        // A shard lies in the folder itself: no path components (no '..' escape).
        if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "..")
            throw CheckpointError(index.string(), "shard name '" + name + "' is not a file in this folder");
        if (seen.insert(name).second)
            shards.push_back((index.parent_path() / name).string());
    }
    return shards;
}

} // namespace

bool isHuggingFaceFolder(const std::string& path) {
    std::error_code error;
    return fs::is_directory(path, error) && fs::is_regular_file(fs::path(path) / "config.json", error) &&
           !isTrainingRunConfig((fs::path(path) / "config.json").string());
}

HuggingFaceFolder readHuggingFaceFolder(const std::string& folder) {
    const fs::path root(folder);
    const fs::path configPath = root / "config.json";
    if (!isHuggingFaceFolder(folder))
        throw CheckpointError(folder, "not a Hugging Face model folder (no config.json)");
    HuggingFaceFolder result;
    result.folder = folder;
    ModelMetadata& metadata = result.metadata;
    metadata.sourcePath = configPath.string();
    const json config = readJson(configPath);
    metadata.modelType = config.value("model_type", std::string());
    if (const auto found = config.find("architectures"); found != config.end() && found->is_array())
        for (const auto& name : *found)
            if (name.is_string())
                metadata.architectures.push_back(name.get<std::string>());
    metadata.numHeads = optionalCount(config, "num_attention_heads", configPath);
    metadata.imageSize = optionalCount(config, "image_size", configPath);
    metadata.patchSize = optionalCount(config, "patch_size", configPath);
    metadata.layerNormEps = optionalPositive(config, "layer_norm_eps", configPath);
    if (const auto act = config.find("hidden_act"); act != config.end() && act->is_string())
        metadata.hiddenActivation = act->get<std::string>();
    metadata.classNames = classNamesOf(config, configPath);

    const fs::path preprocessorPath = root / "preprocessor_config.json";
    std::error_code error;
    if (fs::is_regular_file(preprocessorPath, error)) {
        const json preprocessor = readJson(preprocessorPath);
        const auto mean = preprocessor.find("image_mean");
        const auto std = preprocessor.find("image_std");
        if (mean != preprocessor.end() && std != preprocessor.end()) {
            Normalisation normalisation;
            normalisation.mean = channelTriple(*mean, "image_mean", preprocessorPath);
            normalisation.std = channelTriple(*std, "image_std", preprocessorPath);
            for (double deviation : normalisation.std)
                if (!(deviation > 0.0))
                    throw CheckpointError(preprocessorPath.string(), "'image_std' must be positive");
            normalisation.source = "preprocessor_config.json";
            metadata.normalisation = normalisation;
        }
    }

    if (fs::is_regular_file(root / "model.safetensors", error))
        result.weightFiles = {(root / "model.safetensors").string()};
    else if (fs::is_regular_file(root / "model.safetensors.index.json", error))
        result.weightFiles = shardsOf(root / "model.safetensors.index.json");
    else if (fs::is_regular_file(root / "pytorch_model.bin", error))
        result.weightFiles = {(root / "pytorch_model.bin").string()};
    else
        throw CheckpointError(folder, "Hugging Face folder without weights: expected model.safetensors, "
                                      "model.safetensors.index.json or pytorch_model.bin");
    return result;
}

namespace {

// The parsed config.json when it is a training run's record, nullopt otherwise (missing, not
// JSON, or another program's).
std::optional<json> trainingRunConfig(const fs::path& configPath) {
    std::error_code error;
    if (!fs::is_regular_file(configPath, error))
        return std::nullopt;
    try {
        json config = readJson(configPath);
        const auto data = config.find("data");
        if (config.contains("intermap_version") && data != config.end() && data->is_object())
            return config;
    } catch (const CheckpointError&) {
        // Not JSON: not ours either.
    }
    return std::nullopt;
}

} // namespace

bool isTrainingRunConfig(const std::string& configPath) { return trainingRunConfig(configPath).has_value(); }

std::optional<ModelMetadata> readTrainingRunMetadata(const std::string& runFolder) {
    const fs::path configPath = fs::path(runFolder) / "config.json";
    const std::optional<json> config = trainingRunConfig(configPath);
    if (!config)
        return std::nullopt;
    ModelMetadata metadata;
    metadata.sourcePath = configPath.string();
    if (const auto classes = config->at("data").find("classes"); classes != config->at("data").end() && classes->is_array())
        for (const auto& name : *classes)
            if (name.is_string())
                metadata.classNames.push_back(name.get<std::string>());
    metadata.imageSize = optionalCount(*config, "image_size", configPath).value_or(224);
    if (const auto recorded = config->find("normalisation"); recorded != config->end()) {
        if (!recorded->is_object() || !recorded->contains("mean") || !recorded->contains("std"))
            throw CheckpointError(configPath.string(), "'normalisation' must hold 'mean' and 'std'");
        Normalisation normalisation;
        normalisation.mean = channelTriple(recorded->at("mean"), "normalisation.mean", configPath);
        normalisation.std = channelTriple(recorded->at("std"), "normalisation.std", configPath);
        for (double deviation : normalisation.std)
            if (!(deviation > 0.0))
                throw CheckpointError(configPath.string(), "'normalisation.std' must be positive");
        const std::string origin = recorded->value("source", std::string());
        normalisation.source = "the training run's config.json" + (origin.empty() ? std::string() : " (" + origin + ")");
        metadata.normalisation = normalisation;
    } else {
        Normalisation imageNet;
        imageNet.source = "ImageNet (the training run's config.json records none: runs then always used it)";
        metadata.normalisation = imageNet;
    }
    return metadata;
}

} // namespace intermap::model
