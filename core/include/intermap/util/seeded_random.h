#pragma once
// Portable seeded randomness: data splits, the loader's epoch order and augmentation, and the
// synthetic phantom draw through these, so a seed gives the same result on every platform.
// std::mt19937_64's output sequence is fixed by the C++ standard, but the standard
// distributions and std::shuffle are not, hence the draws below.
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace intermap::util {

// One SplitMix64 output step (Steele, Lea and Flood 2014): a bijective 64-bit mixer.
std::uint64_t splitMix64(std::uint64_t x);

// Combines seeds with SplitMix64 steps: splitMix64(splitMix64(a) ^ b); order matters.
std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b);

// Uniform integer in [0, n), n > 0, by rejection (unbiased; the same on every platform).
std::uint64_t uniformBelow(std::mt19937_64& rng, std::uint64_t n);

// Uniform double in [0, 1) with 53 random bits: the top bits of one raw 64-bit draw.
double uniformUnit(std::mt19937_64& rng);

// In-place Fisher–Yates (Durstenfeld): for i = n-1 down to 1, swap item i with item
// drawBelow(i + 1), where drawBelow(m) returns an index in [0, m).
template <typename T, typename DrawBelow>
void fisherYatesShuffle(std::vector<T>& items, DrawBelow&& drawBelow) {
    for (std::size_t i = items.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(drawBelow(i));
        using std::swap;
        swap(items[i - 1], items[j]);
    }
}

// The shuffle with uniformBelow(rng, i + 1) as the draw.
template <typename T>
void fisherYatesShuffle(std::vector<T>& items, std::mt19937_64& rng) {
    fisherYatesShuffle(items, [&rng](std::size_t n) { return uniformBelow(rng, n); });
}

} // namespace intermap::util
