#pragma once
// A random ViT whose weights are the same bits on every CPU and LibTorch version: the C++ twin
// of tests/tools/portable_vit.py (see its docstring for the recipe and why torch::randn cannot
// be used). Both are checked against the weight checksum in tests/data/deep/manifest.json.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace intermap::test::portable {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t fnv1a64(const std::string& text) {
    std::uint64_t hash = 0xCBF29CE484222325ULL;
    for (unsigned char byte : text) {
        hash ^= byte;
        hash *= 0x100000001B3ULL;
    }
    return hash;
}

inline std::uint64_t splitmix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Irwin-Hall normal: the sum of twelve 24-bit uniforms, minus 6 (exact in double).
inline double normal(std::uint64_t stream, std::uint64_t index) {
    std::int64_t total = 0;
    for (std::uint64_t j = 0; j < 12; ++j)
        total += static_cast<std::int64_t>(splitmix64(stream + (index * 12 + j + 1) * kGolden) >> 40);
    return static_cast<double>(total) / static_cast<double>(1 << 24) - 6.0;
}

using Entries = std::vector<std::pair<std::string, torch::Tensor>>;

inline Entries stateDict(std::int64_t dim, std::int64_t depth, std::int64_t classes, std::uint64_t seed, double qkGain,
                         std::int64_t patch = 16, std::int64_t grid = 14) {
    const std::int64_t hidden = 4 * dim;
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes = {
        {"cls_token", {1, 1, dim}}, {"pos_embed", {1, grid * grid + 1, dim}},
        {"patch_embed.proj.weight", {dim, 3, patch, patch}}, {"patch_embed.proj.bias", {dim}}};
    for (std::int64_t i = 0; i < depth; ++i) {
        const std::string b = "blocks." + std::to_string(i) + ".";
        shapes.insert(shapes.end(), {{b + "norm1.weight", {dim}}, {b + "norm1.bias", {dim}},
                                     {b + "attn.qkv.weight", {3 * dim, dim}}, {b + "attn.qkv.bias", {3 * dim}},
                                     {b + "attn.proj.weight", {dim, dim}}, {b + "attn.proj.bias", {dim}},
                                     {b + "norm2.weight", {dim}}, {b + "norm2.bias", {dim}},
                                     {b + "mlp.fc1.weight", {hidden, dim}}, {b + "mlp.fc1.bias", {hidden}},
                                     {b + "mlp.fc2.weight", {dim, hidden}}, {b + "mlp.fc2.bias", {dim}}});
    }
    shapes.insert(shapes.end(), {{"norm.weight", {dim}}, {"norm.bias", {dim}}, {"head.weight", {classes, dim}}, {"head.bias", {classes}}});

    auto endsWith = [](const std::string& text, const std::string& tail) {
        return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
    };
    Entries entries;
    for (const auto& [key, shape] : shapes) {
        double mean = 0.0, std = 0.1;
        if (key == "cls_token" || key == "pos_embed")
            std = 0.5;
        else if (key == "patch_embed.proj.weight")
            std = 1.0 / std::sqrt(double(3 * patch * patch));
        else if (endsWith(key, "norm1.weight") || endsWith(key, "norm2.weight") || key == "norm.weight") {
            std = 0.15;
            mean = 1.0;
        }
        else if (endsWith(key, "attn.qkv.weight"))
            std = 1.0 / std::sqrt(double(dim));
        else if (endsWith(key, "mlp.fc2.weight"))
            std = 1.0 / std::sqrt(double(hidden));
        else if (key == "head.weight")
            std = 2.0 / std::sqrt(double(dim));
        else if (endsWith(key, ".weight"))
            std = 1.0 / std::sqrt(double(dim));
        const std::uint64_t stream = fnv1a64(key) ^ (seed * kGolden);
        auto tensor = torch::empty(shape, torch::kFloat32);
        float* data = tensor.data_ptr<float>();
        const bool qk = endsWith(key, "attn.qkv.weight");
        for (std::int64_t i = 0; i < tensor.numel(); ++i) {
            double value = mean + std * normal(stream, static_cast<std::uint64_t>(i));
            if (qk && i < 2 * dim * dim) // the q and k rows
                value *= qkGain;
            data[i] = static_cast<float>(value);
        }
        entries.emplace_back(key, tensor);
    }
    return entries;
}

// The checksum of tests/tools/portable_vit.py: float32 bit patterns summed modulo 2^64, plus
// each key's hash, in key order.
inline std::uint64_t checksum(const Entries& entries) {
    std::uint64_t total = 0;
    for (const auto& [key, tensor] : entries) {
        const auto values = tensor.contiguous();
        const auto* bits = reinterpret_cast<const std::uint32_t*>(values.data_ptr<float>());
        for (std::int64_t i = 0; i < values.numel(); ++i)
            total += bits[i];
        total += fnv1a64(key);
    }
    return total;
}

} // namespace intermap::test::portable
