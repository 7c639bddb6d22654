#pragma once
// Stable hashes, the same on every platform and compiler (std::hash is neither): FNV-1a for
// seeds and cheap file identities, SHA-256 for fingerprints written into run records. Kept here
// (a few dozen lines) so that core needs no crypto or Qt dependency.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace intermap::util {

// 64-bit FNV-1a (Fowler, Noll, Vo), fed in pieces.
class Fnv1a64 {
public:
    static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;

    // `start` other than the offset basis only where stored hashes were made with another one.
    explicit Fnv1a64(std::uint64_t start = kOffsetBasis) : m_state(start) {}
    void absorb(std::string_view bytes);
    std::uint64_t value() const { return m_state; }

private:
    std::uint64_t m_state;
};

// 64-bit FNV-1a of `bytes` in one go.
std::uint64_t fnv1a64(std::string_view bytes);

// SHA-256 (FIPS 180-4), fed in pieces; hexDigest() finishes it (call it once).
class Sha256 {
public:
    void absorb(std::string_view bytes);
    // 64 lower-case hex digits.
    std::string hexDigest();

private:
    void compressBlock();

    std::array<std::uint32_t, 8> m_state{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<unsigned char, 64> m_block{};
    std::size_t m_blockSize = 0;
    std::uint64_t m_totalBytes = 0;
};

} // namespace intermap::util
