#pragma once
// NumPy .npy files (the format of np.save), so maps can be exchanged with the study's Python
// code and compared with the reference fixtures. Standard library only.
//
// Reading accepts format versions 1.0, 2.0 and 3.0, the dtypes <f4 <f8 <f2 |u1 <i4 <i8 |b1
// (little-endian or byte-order-free), C or Fortran order and any shape including 0-d. Every
// problem (unreadable file, malformed or hostile header, data shorter than the shape needs,
// big-endian data) is reported as intermap::NpyError naming the file and the reason.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::npy {

enum class DType { Float16, Float32, Float64, UInt8, Int32, Int64, Bool };

// The NumPy type string of a dtype as written in headers ("<f4", "|u1", ...).
std::string_view descr(DType dtype);

struct Array {
    DType dtype = DType::Float64;
    // Empty for a 0-d array (one element).
    std::vector<std::int64_t> shape;
    // Every element converted to double, in C (row-major) order whatever the file's order.
    // Exact for all accepted dtypes except int64 values beyond +-2^53, which are rounded.
    std::vector<double> values;

    std::int64_t elementCount() const;
};

// "[224,224]", "[]" for 0-d: how shapes appear in error messages.
std::string shapeToString(const std::vector<std::int64_t>& shape);

// Parses a whole .npy file held in memory; `sourceName` names it in errors.
Array parse(std::string_view bytes, const std::string& sourceName);

Array read(const std::string& path);

// Reads an array that must have exactly `expectedShape` (e.g. {224, 224} for a map) and returns
// its values in C order as float32, converted like NumPy's astype(np.float32). Any accepted dtype
// is allowed; a shape mismatch is an NpyError saying what was found and what was expected.
std::vector<float> readFloat32(const std::string& path, const std::vector<std::int64_t>& expectedShape);

// As readFloat32 without the narrowing: for float64 references such as *_chefer_f64.npy.
std::vector<double> readFloat64(const std::string& path, const std::vector<std::int64_t>& expectedShape);

// The bytes np.save would write for C-order data of this shape: format 1.0, '<f4' / '<f8',
// NumPy 1.24's header layout (including its spare room to grow the first axis), header padded
// with spaces and ending in '\n' so that the data starts at a multiple of 64 bytes.
// `data` holds the product of `shape` elements (one for a 0-d array).
std::string encodeFloat32(const float* data, const std::vector<std::int64_t>& shape);
std::string encodeFloat64(const double* data, const std::vector<std::int64_t>& shape);
// '<f2' from IEEE half-precision bit patterns (the caller rounds: util stays free of Torch), for
// maps kept at half the size (`evaluate --keep-maps float16`).
std::string encodeFloat16(const std::uint16_t* halfBits, const std::vector<std::int64_t>& shape);

// The encoded bytes written through writeFileAtomically: a reader never sees half a file.
void writeFloat32(const std::string& path, const float* data, const std::vector<std::int64_t>& shape);
void writeFloat64(const std::string& path, const double* data, const std::vector<std::int64_t>& shape);
void writeFloat16(const std::string& path, const std::uint16_t* halfBits, const std::vector<std::int64_t>& shape);

} // namespace intermap::npy
