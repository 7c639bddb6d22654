#include "intermap/util/hash.h"

#include <algorithm>

namespace intermap::util {
namespace {

constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

std::uint32_t rotateRight(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
constexpr std::array<std::uint32_t, 64> kSha256Rounds{
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

} // namespace

void Fnv1a64::absorb(std::string_view bytes) {
    for (const unsigned char c : bytes) {
        m_state ^= c;
        m_state *= kFnvPrime;
    }
}

std::uint64_t fnv1a64(std::string_view bytes) {
    Fnv1a64 hash;
    hash.absorb(bytes);
    return hash.value();
}

void Sha256::absorb(std::string_view bytes) {
    for (const unsigned char c : bytes) {
        m_block[m_blockSize++] = c;
        if (m_blockSize == m_block.size()) {
            compressBlock();
            m_blockSize = 0;
        }
    }
    m_totalBytes += bytes.size();
}

std::string Sha256::hexDigest() {
    // Padding: one 1 bit, zeros up to 56 bytes into a block, then the message length in bits.
    const std::uint64_t totalBits = m_totalBytes * 8;
    m_block[m_blockSize++] = 0x80;
    if (m_blockSize > 56) {
        std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_blockSize), m_block.end(), 0);
        compressBlock();
        m_blockSize = 0;
    }
    std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_blockSize), m_block.begin() + 56, 0);
    for (int i = 0; i < 8; ++i)
        m_block[56 + i] = static_cast<unsigned char>(totalBits >> (56 - 8 * i));
    compressBlock();
    static const char* const kHex = "0123456789abcdef";
    std::string hex;
    for (const std::uint32_t word : m_state)
        for (int shift = 28; shift >= 0; shift -= 4)
            hex += kHex[(word >> shift) & 0xf];
    return hex;
}

void Sha256::compressBlock() {
    std::array<std::uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i)
        w[i] = (std::uint32_t(m_block[4 * i]) << 24) | (std::uint32_t(m_block[4 * i + 1]) << 16) |
               (std::uint32_t(m_block[4 * i + 2]) << 8) | std::uint32_t(m_block[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
        const std::uint32_t s0 = rotateRight(w[i - 15], 7) ^ rotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const std::uint32_t s1 = rotateRight(w[i - 2], 17) ^ rotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<std::uint32_t, 8> v = m_state; // a b c d e f g h
    for (int i = 0; i < 64; ++i) {
        const std::uint32_t s1 = rotateRight(v[4], 6) ^ rotateRight(v[4], 11) ^ rotateRight(v[4], 25);
        const std::uint32_t choose = (v[4] & v[5]) ^ (~v[4] & v[6]);
        const std::uint32_t t1 = v[7] + s1 + choose + kSha256Rounds[i] + w[i];
        const std::uint32_t s0 = rotateRight(v[0], 2) ^ rotateRight(v[0], 13) ^ rotateRight(v[0], 22);
        const std::uint32_t majority = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        // Shift the working variables down by one: h = g, ..., b = a; then e and a take the sums.
        std::copy_backward(v.begin(), v.end() - 1, v.end());
        v[4] += t1;
        v[0] = t1 + s0 + majority;
    }
    for (std::size_t i = 0; i < m_state.size(); ++i)
        m_state[i] += v[i];
}

} // namespace intermap::util
