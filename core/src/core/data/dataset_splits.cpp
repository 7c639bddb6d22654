// Data sets: seeded, folder-stratified splits (portable: util/seeded_random.h).
#include "dataset_scan.h"

#include "intermap/util/hash.h"
#include "intermap/util/seeded_random.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

namespace intermap::data::detail {
namespace {

// Seed purposes, so that the carve and the generated split draw independent streams.
constexpr std::uint64_t kPurposeCarveVal = 0x7661'6c5f'6361'7276ULL;   // "val_carv"
constexpr std::uint64_t kPurposeGenerate = 0x7370'6c69'7467'656eULL;   // "splitgen"
constexpr double kGeneratedTestFraction = 0.15;

std::int64_t roundedCount(std::size_t n, double fraction) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(n) * fraction));
}

// Groups by class folder, each group sorted by relative path (the deterministic starting order).
std::map<std::string, std::vector<Candidate>> byFolder(std::vector<Candidate> candidates) {
    std::map<std::string, std::vector<Candidate>> groups;
    for (auto& candidate : candidates)
        groups[candidate.folder].push_back(std::move(candidate));
    for (auto& [folder, group] : groups)
        std::sort(group.begin(), group.end(),
                  [](const Candidate& a, const Candidate& b) { return a.sample.relativePath < b.sample.relativePath; });
    return groups;
}

} // namespace

void carveValidation(std::vector<Candidate>& train, std::vector<Candidate>& val, double fraction,
                     std::uint64_t seed) {
    auto groups = byFolder(std::move(train));
    train.clear();
    for (auto& [folder, group] : groups) {
        std::mt19937_64 rng(util::mixSeed(util::mixSeed(seed, kPurposeCarveVal), util::fnv1a64(folder)));
        util::fisherYatesShuffle(group, rng);
        const std::int64_t n = static_cast<std::int64_t>(group.size());
        std::int64_t nVal = roundedCount(group.size(), fraction);
        if (nVal == 0 && fraction > 0 && n >= 2)
            nVal = 1;
        nVal = std::min(nVal, std::max<std::int64_t>(n - 1, 0));
        for (std::int64_t i = 0; i < n; ++i)
            (i < nVal ? val : train).push_back(std::move(group[static_cast<std::size_t>(i)]));
    }
}

void generateSplits(std::vector<Candidate> all, std::vector<Candidate>& train, std::vector<Candidate>& val,
                    std::vector<Candidate>& test, double valFraction, std::uint64_t seed) {
    auto groups = byFolder(std::move(all));
    for (auto& [folder, group] : groups) {
        std::mt19937_64 rng(util::mixSeed(util::mixSeed(seed, kPurposeGenerate), util::fnv1a64(folder)));
        util::fisherYatesShuffle(group, rng);
        const std::int64_t n = static_cast<std::int64_t>(group.size());
        std::int64_t nTest = roundedCount(group.size(), kGeneratedTestFraction);
        if (nTest == 0 && n - 1 >= 1)
            nTest = 1;
        std::int64_t nVal = roundedCount(group.size(), valFraction);
        if (nVal == 0 && valFraction > 0 && n - nTest - 1 >= 1)
            nVal = 1;
        nTest = std::min(nTest, std::max<std::int64_t>(n - 1, 0));
        nVal = std::min(nVal, std::max<std::int64_t>(n - 1 - nTest, 0));
        for (std::int64_t i = 0; i < n; ++i) {
            auto& target = i < nTest ? test : (i < nTest + nVal ? val : train);
            target.push_back(std::move(group[static_cast<std::size_t>(i)]));
        }
    }
}

} // namespace intermap::data::detail
