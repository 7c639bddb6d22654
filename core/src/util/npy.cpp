#include "intermap/util/npy.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/byte_order.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace intermap::npy {
namespace {

constexpr std::string_view kMagic{"\x93NUMPY", 6};
// NumPy itself allows 32 (1.24) or 64 (2.x) dimensions; more is a corrupt or hostile header.
constexpr std::size_t kMaxDimensions = 64;
// NumPy 1.24's GROWTH_AXIS_MAX_DIGITS: spare header room so an axis can grow in place.
constexpr std::size_t kGrowthAxisMaxDigits = 21;
constexpr std::size_t kArrayAlign = 64;

struct DTypeInfo {
    DType dtype;
    std::string_view descr;
    std::size_t itemSize;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::Float16, "<f2", 2}, {DType::Float32, "<f4", 4}, {DType::Float64, "<f8", 8},
    {DType::UInt8, "|u1", 1},   {DType::Int32, "<i4", 4},   {DType::Int64, "<i8", 8},
    {DType::Bool, "|b1", 1},
};

const DTypeInfo& infoOf(DType dtype) {
    for (const auto& info : kDTypes)
        if (info.dtype == dtype)
            return info;
    return kDTypes[1];
}

std::optional<DTypeInfo> dtypeFromDescr(std::string_view text) {
    // One-byte types carry no byte order; '<' is accepted for them as NumPy does.
    if (text == "<u1")
        text = "|u1";
    else if (text == "<b1")
        text = "|b1";
    for (const auto& info : kDTypes)
        if (info.descr == text)
            return info;
    return std::nullopt;
}

double halfToDouble(std::uint16_t bits) {
    const bool negative = (bits & 0x8000u) != 0;
    const int exponent = (bits >> 10) & 0x1F;
    const int mantissa = bits & 0x3FF;
    double magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(static_cast<double>(mantissa), -24); // zero or subnormal
    else if (exponent == 31)
        magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity()
                                  : std::numeric_limits<double>::quiet_NaN();
    else
        magnitude = std::ldexp(static_cast<double>(mantissa + 1024), exponent - 25);
    return negative ? -magnitude : magnitude;
}

double decodeElement(DType dtype, const unsigned char* bytes) {
    switch (dtype) {
    case DType::Float16:
        return halfToDouble(static_cast<std::uint16_t>(util::loadLittleEndian(bytes, 2)));
    case DType::Float32: {
        const auto bits = static_cast<std::uint32_t>(util::loadLittleEndian(bytes, 4));
        float value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }
    case DType::Float64: {
        const std::uint64_t bits = util::loadLittleEndian(bytes, 8);
        double value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }
    case DType::UInt8:
        return bytes[0];
    case DType::Int32:
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(util::loadLittleEndian(bytes, 4)));
    case DType::Int64:
        return static_cast<double>(static_cast<std::int64_t>(util::loadLittleEndian(bytes, 8)));
    case DType::Bool:
        return bytes[0] != 0 ? 1.0 : 0.0;
    }
    return 0.0;
}

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (224, 224), }. NumPy eval()s it with a restricted evaluator; this is a small
// non-recursive parser for exactly that grammar, so no header can make it crash or loop.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& sourceName) : m_text(text), m_source(sourceName) {}

    struct Header {
        std::string descr;
        bool fortranOrder = false;
        std::vector<std::int64_t> shape;
    };

    Header parse() {
        Header header;
        bool haveDescr = false, haveOrder = false, haveShape = false;
        expect('{', "the header must start with '{'");
        while (true) {
            skipSpace();
            if (peek() == '}') {
                ++m_pos;
                break;
            }
            const std::string key = parseString("a quoted key");
            skipSpace();
            expect(':', "expected ':' after key '" + key + "'");
            skipSpace();
            if (key == "descr") {
                if (haveDescr)
                    fail("the key 'descr' appears twice");
                if (peek() != '\'' && peek() != '"')
                    fail("'descr' is not a plain type string (structured dtypes are not supported)");
                header.descr = parseString("a dtype string");
                haveDescr = true;
            } else if (key == "fortran_order") {
                if (haveOrder)
                    fail("the key 'fortran_order' appears twice");
                header.fortranOrder = parseBoolean();
                haveOrder = true;
            } else if (key == "shape") {
                if (haveShape)
                    fail("the key 'shape' appears twice");
                header.shape = parseShape();
                haveShape = true;
            } else {
                fail("unexpected key '" + key + "' (a .npy header holds descr, fortran_order and shape)");
            }
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            skipSpace();
            expect('}', "expected ',' or '}' after the value of '" + key + "'");
            break;
        }
        skipSpace();
        if (m_pos != m_text.size())
            fail("unexpected text after the closing '}'");
        if (!haveDescr || !haveOrder || !haveShape)
            fail("the header lacks one of 'descr', 'fortran_order' and 'shape'");
        return header;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const {
        throw NpyError(m_source, "malformed .npy header: " + reason);
    }

    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }

    void skipSpace() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    void expect(char c, const std::string& reason) {
        if (peek() != c)
            fail(reason);
        ++m_pos;
    }

    std::string parseString(const std::string& what) {
        const char quote = peek();
        if (quote != '\'' && quote != '"')
            fail("expected " + what);
        const std::size_t end = m_text.find(quote, m_pos + 1);
        if (end == std::string_view::npos)
            fail("unterminated string");
        std::string value(m_text.substr(m_pos + 1, end - m_pos - 1));
        if (value.find('\\') != std::string::npos)
            fail("escape sequences are not expected in a .npy header");
        m_pos = end + 1;
        return value;
    }

    bool parseBoolean() {
        if (m_text.substr(m_pos, 4) == "True") {
            m_pos += 4;
            return true;
        }
        if (m_text.substr(m_pos, 5) == "False") {
            m_pos += 5;
            return false;
        }
        fail("'fortran_order' must be True or False");
    }

    std::vector<std::int64_t> parseShape() {
        expect('(', "'shape' must be a tuple such as (224, 224)");
        std::vector<std::int64_t> shape;
        bool trailingComma = false;
        while (true) {
            skipSpace();
            if (peek() == ')') {
                ++m_pos;
                break;
            }
            if (shape.size() == kMaxDimensions)
                fail("'shape' has more than " + std::to_string(kMaxDimensions) + " dimensions");
            shape.push_back(parseDimension());
            skipSpace();
            trailingComma = false;
            if (peek() == ',') {
                ++m_pos;
                trailingComma = true;
            } else if (peek() != ')') {
                fail("'shape' must be a tuple of non-negative integers");
            }
        }
        // In Python "(3)" is the integer 3, not a tuple; NumPy writes "(3,)".
        if (shape.size() == 1 && !trailingComma)
            fail("'shape' must be a tuple (a one-element tuple is written (n,))");
        return shape;
    }

    std::int64_t parseDimension() {
        const char first = peek();
        if (first < '0' || first > '9')
            fail("'shape' must be a tuple of non-negative integers");
        std::int64_t value = 0;
        while (peek() >= '0' && peek() <= '9') {
            const int digit = peek() - '0';
            if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
                fail("a dimension of 'shape' is too large");
            value = value * 10 + digit;
            ++m_pos;
        }
        if (peek() == 'L') // Python 2 long literal, found in old files
            ++m_pos;
        return value;
    }

    std::string_view m_text;
    const std::string& m_source;
    std::size_t m_pos = 0;
};

// The dimensions in decimal, `separator` between them.
std::string joinDimensions(const std::vector<std::int64_t>& shape, std::string_view separator) {
    std::string text;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0)
            text += separator;
        text += std::to_string(shape[i]);
    }
    return text;
}

// Python's repr of a tuple of ints: "()", "(5,)", "(4, 5)".
std::string shapeRepr(const std::vector<std::int64_t>& shape) {
    return "(" + joinDimensions(shape, ", ") + (shape.size() == 1 ? ",)" : ")");
}

template <typename T>
std::string encode(const T* data, const std::vector<std::int64_t>& shape, std::string_view descrText) {
    if (shape.size() > kMaxDimensions)
        throw Error(".npy encoding: " + std::to_string(shape.size()) + " dimensions is too many");
    std::size_t count = 1;
    for (const std::int64_t dim : shape) {
        if (dim < 0)
            throw Error(".npy encoding: negative dimension in shape " + shapeToString(shape));
        if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / sizeof(T) / static_cast<std::size_t>(dim))
            throw Error(".npy encoding: shape " + shapeToString(shape) + " is too large");
        count *= static_cast<std::size_t>(dim);
    }
    if (count > 0 && data == nullptr)
        throw Error(".npy encoding: no data for shape " + shapeToString(shape));

    // Same text, order and padding as NumPy 1.24's _write_array_header / _wrap_header, so files
    // are byte-identical to np.save's.
    std::string dict = "{'descr': '" + std::string(descrText) + "', 'fortran_order': False, 'shape': " +
                       shapeRepr(shape) + ", }";
    if (!shape.empty())
        dict.append(kGrowthAxisMaxDigits - std::min(kGrowthAxisMaxDigits, std::to_string(shape[0]).size()), ' ');
    const std::size_t prefixSize = kMagic.size() + 2 + 2;
    const std::size_t withNewline = dict.size() + 1;
    const std::size_t padding = kArrayAlign - (prefixSize + withNewline) % kArrayAlign;
    const std::size_t headerLength = withNewline + padding;
    if (headerLength > 0xFFFF)
        throw Error(".npy encoding: header too long for format 1.0");

    std::string out;
    out.reserve(prefixSize + headerLength + count * sizeof(T));
    out.append(kMagic);
    out.push_back('\x01');
    out.push_back('\x00');
    util::appendLittleEndian(out, headerLength, 2);
    out += dict;
    out.append(padding, ' ');
    out.push_back('\n');
    for (std::size_t i = 0; i < count; ++i) {
        std::conditional_t<sizeof(T) == 2, std::uint16_t, std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>> bits;
        std::memcpy(&bits, &data[i], sizeof bits);
        util::appendLittleEndian(out, bits, sizeof bits);
    }
    return out;
}

template <typename Out>
std::vector<Out> readChecked(const std::string& path, const std::vector<std::int64_t>& expectedShape) {
    const Array array = read(path);
    if (array.shape != expectedShape)
        throw NpyError(path, "array has shape " + shapeToString(array.shape) + ", expected " +
                                   shapeToString(expectedShape));
    std::vector<Out> values(array.values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<Out>(array.values[i]);
    return values;
}

} // namespace

std::string_view descr(DType dtype) { return infoOf(dtype).descr; }

std::int64_t Array::elementCount() const {
    std::int64_t count = 1;
    for (const std::int64_t dim : shape)
        count *= dim;
    return count;
}

std::string shapeToString(const std::vector<std::int64_t>& shape) { return "[" + joinDimensions(shape, ",") + "]"; }

Array parse(std::string_view bytes, const std::string& sourceName) {
    if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic)
        throw NpyError(sourceName, "not a .npy file (missing the \\x93NUMPY signature)");
    const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
    const int major = raw[6];
    const int minor = raw[7];
    std::size_t lengthFieldSize;
    if (major == 1 && minor == 0)
        lengthFieldSize = 2;
    else if ((major == 2 || major == 3) && minor == 0)
        lengthFieldSize = 4;
    else
        throw NpyError(sourceName, "unsupported .npy format version " + std::to_string(major) + "." +
                                         std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
    const std::size_t headerStart = 8 + lengthFieldSize;
    if (bytes.size() < headerStart)
        throw NpyError(sourceName, "file is truncated inside the .npy preamble");
    const std::uint64_t headerLength = util::loadLittleEndian(raw + 8, lengthFieldSize);
    if (headerLength > bytes.size() - headerStart)
        throw NpyError(sourceName, "file is truncated: the header claims " + std::to_string(headerLength) +
                                         " bytes, only " + std::to_string(bytes.size() - headerStart) +
                                         " follow");
    const std::string_view headerText = bytes.substr(headerStart, static_cast<std::size_t>(headerLength));
    const auto header = HeaderParser(headerText, sourceName).parse();

    const auto info = dtypeFromDescr(header.descr);
    if (!info) {
        if (!header.descr.empty() && header.descr[0] == '>')
            throw NpyError(sourceName, "big-endian data ('" + header.descr +
                                             "') is not supported; save it little-endian, e.g. "
                                             "arr.astype('<" + header.descr.substr(1) + "')");
        throw NpyError(sourceName, "unsupported dtype '" + header.descr +
                                         "' (supported: <f2 <f4 <f8 |u1 <i4 <i8 |b1)");
    }

    const std::size_t dataStart = headerStart + static_cast<std::size_t>(headerLength);
    const std::size_t dataBytes = bytes.size() - dataStart;
    const std::size_t maxCount = dataBytes / info->itemSize;
    // Multiply with a bound instead of overflowing: a hostile shape such as (2**62, 2**62)
    // must be refused, not wrap around to a small count.
    bool zero = false;
    for (const std::int64_t dim : header.shape)
        zero = zero || dim == 0;
    std::size_t count = zero ? 0 : 1;
    if (!zero) {
        for (const std::int64_t dim : header.shape) {
            const auto udim = static_cast<std::uint64_t>(dim);
            if (udim > maxCount / count)
                throw NpyError(sourceName, "data is truncated: shape " + shapeToString(header.shape) + " of '" +
                                                 header.descr + "' needs more than the " +
                                                 std::to_string(dataBytes) + " bytes the file holds");
            count *= static_cast<std::size_t>(udim);
        }
    }
    const std::size_t neededBytes = count * info->itemSize;
    if (neededBytes != dataBytes)
        throw NpyError(sourceName, "shape " + shapeToString(header.shape) + " of '" + header.descr + "' needs " +
                                         std::to_string(neededBytes) + " bytes of data, the file holds " +
                                         std::to_string(dataBytes) +
                                         (dataBytes < neededBytes ? " (truncated)" : " (trailing bytes)"));

    Array array;
    array.dtype = info->dtype;
    array.shape = header.shape;
    array.values.resize(count);
    const unsigned char* data = raw + dataStart;
    if (!header.fortranOrder || header.shape.size() < 2) {
        for (std::size_t i = 0; i < count; ++i)
            array.values[i] = decodeElement(info->dtype, data + i * info->itemSize);
        return array;
    }
    // Fortran order: walk the C-order multi-index and look each element up by its column-major
    // offset (first axis fastest).
    const std::size_t rank = header.shape.size();
    std::vector<std::size_t> fortranStride(rank, 1);
    for (std::size_t axis = 1; axis < rank; ++axis)
        fortranStride[axis] = fortranStride[axis - 1] * static_cast<std::size_t>(header.shape[axis - 1]);
    std::vector<std::size_t> index(rank, 0);
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t offset = 0;
        for (std::size_t axis = 0; axis < rank; ++axis)
            offset += index[axis] * fortranStride[axis];
        array.values[i] = decodeElement(info->dtype, data + offset * info->itemSize);
        for (std::size_t axis = rank; axis-- > 0;) {
            if (++index[axis] < static_cast<std::size_t>(header.shape[axis]))
                break;
            index[axis] = 0;
        }
    }
    return array;
}

Array read(const std::string& path) { return parse(util::readWholeFile<NpyError>(path, "a .npy file"), path); }

std::vector<float> readFloat32(const std::string& path, const std::vector<std::int64_t>& expectedShape) {
    return readChecked<float>(path, expectedShape);
}

std::vector<double> readFloat64(const std::string& path, const std::vector<std::int64_t>& expectedShape) {
    return readChecked<double>(path, expectedShape);
}

std::string encodeFloat32(const float* data, const std::vector<std::int64_t>& shape) {
    return encode(data, shape, descr(DType::Float32));
}

std::string encodeFloat64(const double* data, const std::vector<std::int64_t>& shape) {
    return encode(data, shape, descr(DType::Float64));
}

std::string encodeFloat16(const std::uint16_t* halfBits, const std::vector<std::int64_t>& shape) {
    return encode(halfBits, shape, descr(DType::Float16));
}

void writeFloat16(const std::string& path, const std::uint16_t* halfBits, const std::vector<std::int64_t>& shape) {
    writeFileAtomically(path, encodeFloat16(halfBits, shape));
}

void writeFloat32(const std::string& path, const float* data, const std::vector<std::int64_t>& shape) {
    writeFileAtomically(path, encodeFloat32(data, shape));
}

void writeFloat64(const std::string& path, const double* data, const std::vector<std::int64_t>& shape) {
    writeFileAtomically(path, encodeFloat64(data, shape));
}

} // namespace intermap::npy
