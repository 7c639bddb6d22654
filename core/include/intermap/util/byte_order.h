#pragma once
// Little-endian integers in file formats (.npy headers and data, zip records, pickle opcodes,
// the safetensors header length): read and written byte by byte, so the result does not depend
// on the CPU's byte order or on alignment.
#include <cstddef>
#include <cstdint>
#include <string>

namespace intermap::util {

// The unsigned integer stored in bytes[0, size), least significant byte first; size <= 8.
inline std::uint64_t loadLittleEndian(const std::uint8_t* bytes, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i)
        value |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
    return value;
}

// Appends the low `size` bytes of `value`, least significant first; size <= 8.
inline void appendLittleEndian(std::string& out, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

} // namespace intermap::util
