#include "intermap/util/seeded_random.h"

#include "intermap/util/errors.h"

namespace intermap::util {

std::uint64_t splitMix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b) { return splitMix64(splitMix64(a) ^ b); }

std::uint64_t uniformBelow(std::mt19937_64& rng, std::uint64_t n) {
    if (n == 0)
        throw Error("uniformBelow: empty range");
    // Reject the lowest 2^64 mod n outputs so that every residue is equally likely.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
        const std::uint64_t value = rng();
        if (value >= threshold)
            return value % n;
    }
}

double uniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

} // namespace intermap::util
