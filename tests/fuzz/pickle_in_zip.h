#pragma once
// The checkpoint fuzzer's second input form: the byte 0xFE followed by a raw pickle, which is
// wrapped into a torch.save-style zip (archive/data.pkl plus four 256-byte storages "0".."3")
// before it is read. Inside a real archive a pickle cannot change length without breaking the
// zip's offsets, so this form lets libFuzzer grow and shrink pickles freely. Shared by
// fuzz_checkpoint.cpp and the corpus replay in tests/core/test_checkpoint_format.cpp.
#include "zip_writer.h" // tests/common

#include <cstdint>
#include <string>
#include <vector>

namespace intermap::fuzz {

constexpr std::uint8_t kPickleInZipMarker = 0xFE;

inline std::vector<std::uint8_t> wrapPickleInZip(const std::uint8_t* pickle, std::size_t size) {
    std::vector<test::ZipInput> inputs;
    inputs.push_back({"archive/data.pkl", test::Bytes(pickle, pickle + size), false});
    for (int key = 0; key < 4; ++key) {
        test::Bytes storage(256);
        for (std::size_t i = 0; i < storage.size(); ++i)
            storage[i] = static_cast<std::uint8_t>(i * 7 + static_cast<std::size_t>(key));
        inputs.push_back({"archive/data/" + std::to_string(key), std::move(storage), false});
    }
    return test::writeZip(inputs).bytes;
}

} // namespace intermap::fuzz
