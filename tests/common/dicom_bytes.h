#pragma once
// DICOM byte strings written element by element, for tests that feed the decoder hand-built or
// hostile files (tests/core/test_dicom_prescan.cpp, tests/hostile).
#include <cstdint>
#include <string>

namespace intermap::test {

inline constexpr std::uint32_t kUndefined = 0xFFFFFFFFu;
inline const char* const kExplicitLittle = "1.2.840.10008.1.2.1";
inline const char* const kImplicitLittle = "1.2.840.10008.1.2";
inline const char* const kExplicitBig = "1.2.840.10008.1.2.2";

// A DICOM byte string written element by element in one encoding (the file meta group is always
// explicit VR little endian, as PS3.10 says).
class DicomBytes {
public:
    enum class Vr { Explicit, Implicit };
    DicomBytes(Vr vr = Vr::Explicit, bool bigEndian = false) : m_explicit(vr == Vr::Explicit), m_big(bigEndian) {}

    // Preamble, "DICM" and a meta group naming `transferSyntax`; `groupLengthError` is added to
    // the true group length.
    DicomBytes& fileMeta(const std::string& transferSyntax, int groupLengthError = 0) {
        m_bytes.append(128, '\0').append("DICM");
        std::string group;
        const auto metaElement = [&](std::uint16_t element, const char* vr, std::string value) {
            if (value.size() % 2)
                value.push_back('\0');
            appendTo(group, std::uint16_t(0x0002), false);
            appendTo(group, element, false);
            group.append(vr, 2);
            appendTo(group, static_cast<std::uint16_t>(value.size()), false);
            group += value;
        };
        metaElement(0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7");
        metaElement(0x0010, "UI", transferSyntax);
        appendTo(m_bytes, std::uint16_t(0x0002), false);
        appendTo(m_bytes, std::uint16_t(0x0000), false);
        m_bytes.append("UL");
        appendTo(m_bytes, std::uint16_t(4), false);
        appendTo(m_bytes, static_cast<std::uint32_t>(static_cast<int>(group.size()) + groupLengthError), false);
        m_bytes += group;
        return *this;
    }

    // One element; `length` overrides the value's own (kUndefined for an undefined length).
    DicomBytes& element(std::uint16_t group, std::uint16_t element, const char* vr, const std::string& value,
                        std::int64_t length = -1) {
        const std::uint32_t declared = length < 0 ? static_cast<std::uint32_t>(value.size()) : static_cast<std::uint32_t>(length);
        tag(group, element);
        if (m_explicit) {
            m_bytes.append(vr, 2);
            if (isLong(vr)) {
                m_bytes.append(2, '\0');
                put32(declared);
            } else {
                put16(static_cast<std::uint16_t>(declared));
            }
        } else {
            put32(declared);
        }
        m_bytes += value;
        return *this;
    }
    DicomBytes& sequenceStart(std::uint16_t group, std::uint16_t element) { return this->element(group, element, "SQ", {}, kUndefined); }
    DicomBytes& itemStart(std::uint32_t length = kUndefined) { return marker(0xE000, length); }
    DicomBytes& itemEnd() { return marker(0xE00D, 0); }
    DicomBytes& sequenceEnd() { return marker(0xE0DD, 0); }
    DicomBytes& raw(const std::string& bytes) {
        m_bytes += bytes;
        return *this;
    }

    // The element's bytes as a value, for defined-length sequences and items.
    std::string bytes() const { return m_bytes; }
    std::size_t size() const { return m_bytes.size(); }

private:
    static bool isLong(const char* vr) {
        for (const char* longVr : {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
            if (vr[0] == longVr[0] && vr[1] == longVr[1])
                return true;
        return false;
    }
    template <typename T>
    static void appendTo(std::string& out, T value, bool big) {
        for (std::size_t i = 0; i < sizeof(T); ++i) {
            const std::size_t shift = 8 * (big ? sizeof(T) - 1 - i : i);
            out.push_back(static_cast<char>((value >> shift) & 0xFF));
        }
    }
    void put16(std::uint16_t value) { appendTo(m_bytes, value, m_big); }
    void put32(std::uint32_t value) { appendTo(m_bytes, value, m_big); }
    void tag(std::uint16_t group, std::uint16_t element) {
        put16(group);
        put16(element);
    }
    DicomBytes& marker(std::uint16_t element, std::uint32_t length) {
        tag(0xFFFE, element);
        put32(length);
        return *this;
    }

    bool m_explicit;
    bool m_big;
    std::string m_bytes;
};

} // namespace intermap::test
