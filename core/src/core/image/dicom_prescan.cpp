#include "dicom_prescan.h"

#include "intermap/util/errors.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace intermap::image {
namespace {

// PS3.5 7.1: an element's header is tag (4 bytes), then in explicit VR two VR letters and a
// 2-byte length, or for these VRs two reserved bytes and a 4-byte length; in implicit VR a
// 4-byte length. Items and delimiters (group FFFE) always have a 4-byte length and no VR.
constexpr const char* kVrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
                                "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
                                "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
constexpr const char* kLongLengthVrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFFu;
constexpr std::uint16_t kItemGroup = 0xFFFE;
constexpr std::uint16_t kItem = 0xE000, kItemDelimiter = 0xE00D, kSequenceDelimiter = 0xE0DD;

enum class VrMode {
    Explicit,           // every element carries a VR
    Implicit,           // none does
    ExplicitOrImplicit, // explicit, but an element without a valid VR is read as implicit (GDCM's
                        // ExplicitImplicitDataElement, its last fallback for such real files)
};

struct Encoding {
    const char* name;
    VrMode vr;
    bool bigEndian;
};
constexpr Encoding kExplicitLittle{"explicit VR little endian", VrMode::Explicit, false};
constexpr Encoding kExplicitOrImplicitLittle{"explicit VR little endian with elements without VR", VrMode::ExplicitOrImplicit,
                                             false};
constexpr Encoding kImplicitLittle{"implicit VR little endian", VrMode::Implicit, false};
constexpr Encoding kExplicitBig{"explicit VR big endian", VrMode::Explicit, true};

struct Tag {
    std::uint16_t group = 0, element = 0;
    bool operator==(const Tag& other) const { return group == other.group && element == other.element; }
};
constexpr Tag kPixelData{0x7FE0, 0x0010};
constexpr Tag kBrokenWriterPixelData{0x00FF, 0x4AA5};

enum class Flaw {
    ValueBeyondContainer,
    TruncatedHeader,
    NestingTooDeep,
    InvalidVr,
    UndefinedLengthNotAllowed,
    UnclosedItem,
    UnclosedSequence,
    ExpectedItem,
    StrayItemTag,
    MetaElementNotAllowed,
    MetaGroupLengthLies,
    NoDataSetAfterMeta,
    ImplicitBigEndian,
    ElementGdcmMisreads,
};

// Where a walk stopped and why; kept as numbers so that a walk tried and failed costs no
// allocation (the message is written only when the file is refused).
struct Failure {
    Flaw flaw = Flaw::TruncatedHeader;
    std::size_t offset = 0;         // of the element, item or header concerned
    Tag tag;                        // its tag
    std::uint64_t claimed = 0;      // the length it declares (or the group length)
    std::uint64_t available = 0;    // the bytes there were
    const char* container = "the file";
    char vr[2] = {0, 0};
    Tag sequence;                   // ExpectedItem: the sequence whose item was expected
};

bool isVr(const unsigned char* at, const char* vr) { return at[0] == vr[0] && at[1] == vr[1]; }

// GDCM (built with GDCM_SUPPORT_BROKEN_IMPLEMENTATION, as Debian's is) reads a few lengths as
// other than they are, for writers that got them wrong: 13 without a VR is read as 10 (a GE
// workstation's bug) except in Manufacturer and Institution Name, and 6 for a UL in group 0009 as
// 4 (a Siemens Leonardo's). The walk must step where GDCM steps.
std::uint32_t lengthGdcmReads(std::uint16_t group, std::uint16_t element, const unsigned char* vr, std::uint32_t length) {
    if (!vr && length == 13 && !(group == 0x0008 && (element == 0x0070 || element == 0x0080)))
        return 10;
    if (vr && length == 6 && group == 0x0009 && isVr(vr, "UL"))
        return 4;
    return length;
}
// A VR of the standard (what GDCM's guesses of an encoding look for).
bool isVr(const unsigned char* at) {
    return std::any_of(std::begin(kVrs), std::end(kVrs), [&](const char* vr) { return isVr(at, vr); });
}

// The VR GDCM 3.0.21 reads from two bytes where an element's VR stands (VR::GetVRTypeFromFile,
// checked over all 65536 pairs): a VR of the standard as itself, any other two printable ASCII
// characters as UN (so with a 4-byte length), anything else as none (nullptr).
const unsigned char* vrGdcmReads(const unsigned char* at) {
    const auto printable = [](unsigned char c) { return c >= 0x20 && c <= 0x7E; };
    if (!printable(at[0]) || !printable(at[1]))
        return nullptr;
    for (const char* vr : kVrs)
        if (isVr(at, vr))
            return reinterpret_cast<const unsigned char*>(vr);
    return reinterpret_cast<const unsigned char*>("UN");
}
bool hasLongLength(const unsigned char* vr) {
    return std::any_of(std::begin(kLongLengthVrs), std::end(kLongLengthVrs), [&](const char* longVr) { return isVr(vr, longVr); });
}

class StructureWalker {
public:
    StructureWalker(const unsigned char* data, std::size_t size) : m_data(data), m_size(size) {}

    // The top-level data set from `start` to the end of the file.
    bool walkDataSet(std::size_t start, const Encoding& encoding) {
        std::size_t position = start;
        return walkElements(position, m_size, encoding, 0, Context::TopLevel, "the file");
    }

    // The file meta group (group 0002) from `position`; leaves `position` after it and the
    // transfer syntax UID (padding included) in `transferSyntax`.
    bool walkFileMeta(std::size_t& position, std::string_view& transferSyntax);

    const Failure& failure() const { return m_failure; }
    void restartCountsAt(std::size_t elements) {
        m_elements = elements;
        m_deepest = 0;
    }
    std::size_t elements() const { return m_elements; }
    int deepestNesting() const { return m_deepest; }

private:
    enum class Context { TopLevel, DefinedItem, UndefinedItem };
    // UN of undefined length is walked as implicit VR (CP-246) and, failing that, as explicit
    // (GDCM's fallback for older writers); each such second walk is counted so that nested UN
    // elements cannot make the walk exponential.
    static constexpr int kMaxAlternativeWalks = 16;

    std::uint16_t read16(std::size_t at, bool bigEndian) const {
        return bigEndian ? static_cast<std::uint16_t>(m_data[at] << 8 | m_data[at + 1])
                         : static_cast<std::uint16_t>(m_data[at] | m_data[at + 1] << 8);
    }
    std::uint32_t read32(std::size_t at, bool bigEndian) const {
        const std::uint32_t low = read16(at, bigEndian), high = read16(at + 2, bigEndian);
        return bigEndian ? (low << 16 | high) : (high << 16 | low);
    }
    Tag readTag(std::size_t at, bool bigEndian) const { return {read16(at, bigEndian), read16(at + 2, bigEndian)}; }

    bool fail(Flaw flaw, std::size_t offset, Tag tag, std::uint64_t claimed = 0, std::uint64_t available = 0,
              const char* container = "the file", const unsigned char* vr = nullptr) {
        m_failure = {flaw, offset, tag, claimed, available, container, {0, 0}, Tag{}};
        if (vr) {
            m_failure.vr[0] = static_cast<char>(vr[0]);
            m_failure.vr[1] = static_cast<char>(vr[1]);
        }
        return false;
    }
    bool failExpectingItem(std::size_t offset, Tag found, Tag sequence, const char* container) {
        fail(Flaw::ExpectedItem, offset, found, 0, 0, container);
        m_failure.sequence = sequence;
        return false;
    }

    bool walkElements(std::size_t& position, std::size_t end, const Encoding& encoding, int depth, Context context,
                      const char* container);
    bool walkSequence(std::size_t& position, std::size_t end, bool undefinedLength, const Encoding& encoding, int depth,
                      Tag owner, std::size_t ownerOffset, const char* container);
    bool walkFragments(std::size_t& position, std::size_t end, Tag owner, std::size_t ownerOffset, const char* container);
    bool startsWithItem(std::size_t at, std::size_t end, bool bigEndian) const {
        return end - at >= 8 && readTag(at, bigEndian) == Tag{kItemGroup, kItem};
    }

    const unsigned char* m_data;
    std::size_t m_size;
    Failure m_failure;
    std::size_t m_elements = 0;
    int m_deepest = 0;
    int m_alternativeWalks = kMaxAlternativeWalks;
};

bool StructureWalker::walkFileMeta(std::size_t& position, std::string_view& transferSyntax) {
    // Explicit VR little endian (PS3.10 7.1), except that GDCM also reads an implicit meta
    // group (old GE files) when its first element has no valid VR: walked the same way here.
    const bool explicitVr = m_size - position >= 6 && isVr(m_data + position + 4); // VR::IsValid: the standard's VRs
    std::size_t groupLengthEnd = 0;
    std::uint32_t groupLength = 0;
    bool hasGroupLength = false;
    const std::size_t start = position;
    while (m_size - position >= 4 && read16(position, false) == 0x0002) {
        const Tag tag = readTag(position, false);
        const unsigned char* vr = m_data + position + 4;
        std::size_t header = 8;
        std::uint32_t length = 0;
        if (explicitVr) {
            if (m_size - position < 8)
                return fail(Flaw::TruncatedHeader, position, tag, 8, m_size - position, "the file meta information");
            const unsigned char* readVr = vrGdcmReads(vr);
            if (!readVr)
                return fail(Flaw::InvalidVr, position, tag, 0, 0, "the file meta information", vr);
            vr = readVr;
            if (hasLongLength(vr)) {
                header = 12;
                if (m_size - position < header)
                    return fail(Flaw::TruncatedHeader, position, tag, header, m_size - position, "the file meta information");
                length = read32(position + 8, false);
            } else {
                length = read16(position + 6, false);
            }
            if (isVr(vr, "SQ"))
                return fail(Flaw::MetaElementNotAllowed, position, tag, length, 0, "the file meta information", vr);
        } else {
            if (m_size - position < 8)
                return fail(Flaw::TruncatedHeader, position, tag, 8, m_size - position, "the file meta information");
            length = read32(position + 4, false);
        }
        if (length == kUndefinedLength)
            return fail(Flaw::MetaElementNotAllowed, position, tag, length, 0, "the file meta information");
        const std::size_t valueStart = position + header;
        if (length > m_size - valueStart)
            return fail(Flaw::ValueBeyondContainer, position, tag, length, m_size - valueStart, "the file");
        if (tag.element == 0x0000 && length == 4 && position == start) {
            hasGroupLength = true;
            groupLength = read32(valueStart, false);
            groupLengthEnd = valueStart + 4;
        }
        if (tag.element == 0x0010)
            transferSyntax = std::string_view(reinterpret_cast<const char*>(m_data + valueStart), length);
        ++m_elements;
        position = valueStart + length;
    }
    // GDCM reads one tag past the group and aborts (an assertion) when the file ends there.
    if (m_size - position < 4)
        return fail(Flaw::NoDataSetAfterMeta, position, {}, 0, m_size - position);
    if (hasGroupLength && position - groupLengthEnd != groupLength)
        return fail(Flaw::MetaGroupLengthLies, groupLengthEnd - 12, {0x0002, 0x0000}, groupLength, position - groupLengthEnd);
    return true;
}

bool StructureWalker::walkElements(std::size_t& position, std::size_t end, const Encoding& encoding, int depth,
                                   Context context, const char* container) {
    const bool big = encoding.bigEndian;
    while (position < end) {
        const std::size_t remaining = end - position;
        // A complete file may end with a few bytes of padding: GDCM's next tag read ends there.
        if (context == Context::TopLevel && remaining < 4) {
            position = end;
            return true;
        }
        if (remaining < 8)
            return fail(Flaw::TruncatedHeader, position, remaining >= 4 ? readTag(position, big) : Tag{}, 8, remaining, container);
        const Tag tag = readTag(position, big);
        if (tag.group == kItemGroup) {
            if (tag.element == kItemDelimiter) {
                position += 8;
                if (context == Context::UndefinedItem)
                    return true;
                continue; // a stray item delimiter: GDCM reads it as an empty element, so may we
            }
            return fail(Flaw::StrayItemTag, position, tag, 0, 0, container);
        }
        // GDCM (GDCM_SUPPORT_BROKEN_IMPLEMENTATION) reads the rest of the file as Pixel Data at
        // this tag, a workaround for one writer, and then aborts when that was inside an item.
        if (tag == kBrokenWriterPixelData)
            return fail(Flaw::ElementGdcmMisreads, position, tag, 0, 0, container);
        ++m_elements;
        const unsigned char* readVr = encoding.vr != VrMode::Implicit ? vrGdcmReads(m_data + position + 4) : nullptr;
        const bool hasVr = readVr != nullptr;
        const unsigned char* vr = hasVr ? readVr : m_data + position + 4;
        if (encoding.vr == VrMode::Explicit && !hasVr)
            return fail(Flaw::InvalidVr, position, tag, 0, 0, container, vr);
        std::size_t header = 8;
        std::uint32_t length = 0;
        if (hasVr && hasLongLength(vr)) {
            header = 12;
            if (remaining < header)
                return fail(Flaw::TruncatedHeader, position, tag, header, remaining, container);
            length = read32(position + 8, big);
        } else if (hasVr) {
            length = read16(position + 6, big);
        } else {
            length = read32(position + 4, big);
        }
        length = lengthGdcmReads(tag.group, tag.element, hasVr ? vr : nullptr, length);
        std::size_t valueStart = position + header;
        const bool isSequence = hasVr && isVr(vr, "SQ");
        const bool isUnknown = hasVr && isVr(vr, "UN");
        if (length == kUndefinedLength) {
            position = valueStart;
            if (tag == kPixelData) {
                // Encapsulated (compressed) frames. GDCM asserts on SQ or UN Pixel Data of undefined length.
                if (isSequence || isUnknown)
                    return fail(Flaw::UndefinedLengthNotAllowed, valueStart - header, tag, 0, 0, container, vr);
                if (!walkFragments(position, end, tag, valueStart - header, container))
                    return false;
            } else if (isUnknown) {
                const std::size_t start = position;
                if (!walkSequence(position, end, true, {encoding.name, VrMode::Implicit, big}, depth, tag, start - header,
                                  container)) {
                    const Failure implicitFailure = m_failure;
                    if (m_alternativeWalks-- <= 0)
                        return false;
                    position = start;
                    if (!walkSequence(position, end, true, {encoding.name, VrMode::ExplicitOrImplicit, big}, depth, tag,
                                      start - header, container)) {
                        m_failure = implicitFailure; // CP-246's reading is the one to report
                        return false;
                    }
                }
            } else if (isSequence || !hasVr) {
                // Without a VR, GDCM reads the items as implicit VR, also inside an explicit data set.
                const Encoding nested = hasVr ? encoding : Encoding{encoding.name, VrMode::Implicit, big};
                if (!walkSequence(position, end, true, nested, depth, tag, valueStart - header, container))
                    return false;
            } else {
                // GDCM takes any other undefined length for encapsulated Pixel Data and asserts.
                return fail(Flaw::UndefinedLengthNotAllowed, valueStart - header, tag, 0, 0, container, vr);
            }
            continue;
        }
        if (length > end - valueStart)
            return fail(Flaw::ValueBeyondContainer, position, tag, length, end - valueStart, container, hasVr ? vr : nullptr);
        const std::size_t valueEnd = valueStart + length;
        // A defined-length sequence is read item by item, so its items are walked too. Without a
        // VR (implicit, or UN), GDCM's dictionary decides; a value that starts with an item tag is
        // taken for a sequence here, which can only refuse more, never let more through.
        const bool looksLikeSequence = (!hasVr || isUnknown) && !(tag == kPixelData) && startsWithItem(valueStart, valueEnd, big);
        if (isSequence || looksLikeSequence) {
            const Encoding nested = isSequence ? encoding : Encoding{encoding.name, VrMode::Implicit, big};
            if (!walkSequence(valueStart, valueEnd, false, nested, depth, tag, position, "its sequence"))
                return false;
        }
        position = valueEnd;
    }
    if (context == Context::UndefinedItem)
        return fail(Flaw::UnclosedItem, position, {kItemGroup, kItem}, 0, 0, container);
    return true;
}

bool StructureWalker::walkSequence(std::size_t& position, std::size_t end, bool undefinedLength, const Encoding& encoding,
                                   int depth, Tag owner, std::size_t ownerOffset, const char* container) {
    if (depth + 1 > kMaxDicomSequenceNesting)
        return fail(Flaw::NestingTooDeep, ownerOffset, owner, static_cast<std::uint64_t>(depth + 1));
    m_deepest = std::max(m_deepest, depth + 1);
    const bool big = encoding.bigEndian;
    while (true) {
        if (!undefinedLength && position == end)
            return true;
        if (end - position < 8) {
            if (undefinedLength)
                return fail(Flaw::UnclosedSequence, ownerOffset, owner, 0, 0, container);
            return fail(Flaw::TruncatedHeader, position, owner, 8, end - position, "its sequence");
        }
        const Tag tag = readTag(position, big);
        const std::uint32_t length = read32(position + 4, big);
        const std::size_t itemOffset = position;
        position += 8;
        if (tag == Tag{kItemGroup, kSequenceDelimiter})
            return true; // ends an undefined-length sequence; GDCM also stops a defined one there
        if (!(tag == Tag{kItemGroup, kItem}))
            return failExpectingItem(itemOffset, tag, owner, container);
        if (length == kUndefinedLength) {
            // Bounded by what bounds the sequence, and closed by its own delimiter.
            if (!walkElements(position, end, encoding, depth + 1, Context::UndefinedItem, undefinedLength ? container : "its sequence"))
                return false;
            continue;
        }
        if (length > end - position)
            return fail(Flaw::ValueBeyondContainer, itemOffset, tag, length, end - position,
                        undefinedLength ? container : "its sequence");
        std::size_t itemPosition = position;
        position += length;
        if (!walkElements(itemPosition, position, encoding, depth + 1, Context::DefinedItem, "its item"))
            return false;
    }
}

bool StructureWalker::walkFragments(std::size_t& position, std::size_t end, Tag owner, std::size_t ownerOffset,
                                    const char* container) {
    // PS3.5 A.4: a Basic Offset Table item, then one item per fragment, then a sequence delimiter.
    // Always little endian (encapsulated transfer syntaxes are); the fragments' bytes are skipped.
    while (true) {
        if (end - position < 8)
            return fail(Flaw::UnclosedSequence, ownerOffset, owner, 0, 0, container);
        const Tag tag = readTag(position, false);
        const std::uint32_t length = read32(position + 4, false);
        const std::size_t itemOffset = position;
        position += 8;
        if (!(tag == Tag{kItemGroup, kItem}) && !(tag == Tag{kItemGroup, kSequenceDelimiter}))
            return failExpectingItem(itemOffset, tag, owner, container);
        // GDCM reads the delimiter like a fragment, value and all (its length should be 0).
        if (length == kUndefinedLength)
            return fail(Flaw::UndefinedLengthNotAllowed, itemOffset, tag, 0, 0, "the encapsulated Pixel Data");
        if (length > end - position)
            return fail(Flaw::ValueBeyondContainer, itemOffset, tag, length, end - position, container);
        position += length;
        if (tag == Tag{kItemGroup, kSequenceDelimiter})
            return true;
    }
}

std::string tagText(Tag tag) {
    char text[16];
    std::snprintf(text, sizeof text, "(%04X,%04X)", tag.group, tag.element);
    return text;
}

std::string vrText(const char (&vr)[2]) {
    const auto printable = [](char c) { return c >= 0x20 && c < 0x7F; };
    if (printable(vr[0]) && printable(vr[1]))
        return std::string("'") + vr[0] + vr[1] + "'";
    char text[16];
    std::snprintf(text, sizeof text, "bytes %02X %02X", static_cast<unsigned char>(vr[0]), static_cast<unsigned char>(vr[1]));
    return text;
}

std::string describe(const Failure& failure, const char* encoding) {
    const std::string at = " at offset " + std::to_string(failure.offset);
    const std::string tag = tagText(failure.tag);
    std::string what;
    switch (failure.flaw) {
    case Flaw::ValueBeyondContainer:
        what = (failure.tag == Tag{kItemGroup, kItem} ? "item " : "element ") + tag + at + " declares a value of " +
               std::to_string(failure.claimed) + " bytes, but only " + std::to_string(failure.available) + " remain in " +
               failure.container;
        break;
    case Flaw::TruncatedHeader:
        what = "the header of " + (failure.tag == Tag{} ? std::string("the next element") : "element " + tag) + at +
               " is cut off: " + std::to_string(failure.available) + " bytes remain in " + failure.container + ", it needs " +
               std::to_string(failure.claimed);
        break;
    case Flaw::NestingTooDeep:
        what = "sequence " + tag + at + " is nested " + std::to_string(failure.claimed) + " levels deep, more than the limit of " +
               std::to_string(kMaxDicomSequenceNesting);
        break;
    case Flaw::InvalidVr:
        what = "element " + tag + at + " has no valid VR (" + vrText(failure.vr) + ") in " + failure.container;
        break;
    case Flaw::UndefinedLengthNotAllowed:
        what = "element " + tag + at + (failure.vr[0] ? " with VR " + vrText(failure.vr) : std::string()) +
               " has an undefined length, which only sequences, UN and Pixel Data may have";
        break;
    case Flaw::UnclosedItem:
        what = "an item of undefined length has no item delimiter (FFFE,E00D) before the end of " + std::string(failure.container) +
               " (offset " + std::to_string(failure.offset) + ")";
        break;
    case Flaw::UnclosedSequence:
        what = "sequence " + tag + at + " of undefined length has no sequence delimiter (FFFE,E0DD) before the end of " +
               failure.container;
        break;
    case Flaw::ExpectedItem:
        what = "sequence " + tagText(failure.sequence) +
               ": expected an item (FFFE,E000) or a sequence delimiter (FFFE,E0DD)" + at + ", found " + tag;
        break;
    case Flaw::ElementGdcmMisreads:
        what = "element " + tag + at + " is one GDCM reads as the rest of the file's Pixel Data (a workaround for one "
               "broken writer)";
        break;
    case Flaw::StrayItemTag:
        what = "item tag " + tag + at + " outside a sequence";
        break;
    case Flaw::MetaElementNotAllowed:
        what = "file meta element " + tag + at + " is a sequence or has an undefined length, which group 0002 may not";
        break;
    case Flaw::MetaGroupLengthLies:
        what = "the file meta group length (0002,0000)" + at + " says " + std::to_string(failure.claimed) +
               " bytes, but the group 0002 elements after it take " + std::to_string(failure.available);
        return "malformed DICOM file (refused before decoding): " + what;
    case Flaw::NoDataSetAfterMeta:
        what = "the file ends" + at + ", right after its file meta information: no data set";
        return "malformed DICOM file (refused before decoding): " + what;
    case Flaw::ImplicitBigEndian:
        return "not a DICOM data set GDCM can read: it starts like implicit VR big endian (ACR-NEMA), which DICOM does not define";
    }
    return "malformed DICOM file (refused before decoding, read as " + std::string(encoding) + "): " + what;
}

std::string_view withoutPadding(std::string_view uid) {
    while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' '))
        uid.remove_suffix(1);
    return uid;
}

} // namespace

DicomStructure checkDicomStructure(std::string_view bytes, const std::string& sourceName) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t size = bytes.size();
    StructureWalker walker(data, size);
    DicomStructure structure;
    // PS3.10 7.1: a 128-byte preamble and "DICM"; GDCM also reads files without them.
    structure.hasPreamble = size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0;
    std::size_t position = structure.hasPreamble ? 132 : 0;
    const Encoding* encoding = nullptr;
    if (size - position >= 4 && data[position] == 0x02 && data[position + 1] == 0x00) {
        std::string_view transferSyntax;
        if (!walker.walkFileMeta(position, transferSyntax))
            throw ImageError(sourceName, describe(walker.failure(), "explicit VR little endian"));
        structure.hasFileMeta = true;
        const std::string_view uid = withoutPadding(transferSyntax);
        if (uid == "1.2.840.10008.1.2.1.99") {
            // Deflated: the data set is a zlib stream that GDCM inflates as it reads. Walking it
            // would mean inflating here too (a buffer, or a resumable walker over a window); only
            // the meta group is checked, and the fuzzer's seeds hold one such file.
            structure.dataSetWalked = false;
            structure.encoding = "deflated explicit VR little endian";
            structure.elements = walker.elements();
            return structure;
        }
        // Every transfer syntax but these two (the compressed ones included) is explicit VR little
        // endian; an unknown UID is refused by GDCM itself, after a walk as explicit little endian.
        encoding = uid == "1.2.840.10008.1.2" ? &kImplicitLittle : uid == "1.2.840.10008.1.2.2" ? &kExplicitBig : &kExplicitLittle;
    } else if (size - position >= 6) {
        // No file meta group: GDCM guesses from the first element (FileMetaInformation::ReadCompat),
        // and so does this walk: a group 0008 (or byte-swapped 0800) tag, or a private creator,
        // followed by two VR letters is explicit VR; byte-swapped without a VR is ACR-NEMA's
        // implicit big endian, which GDCM refuses by throwing a C string past its handlers.
        const std::uint16_t group = static_cast<std::uint16_t>(data[position] | data[position + 1] << 8);
        const std::uint16_t element = static_cast<std::uint16_t>(data[position + 2] | data[position + 3] << 8);
        const bool vr = isVr(data + position + 4);
        if (group == 0x0800) {
            if (!vr)
                throw ImageError(sourceName, describe(Failure{Flaw::ImplicitBigEndian, position, {}, 0, 0, "the file", {0, 0}, {}}, ""));
            encoding = &kExplicitBig;
        } else if (group == 0x0008 || element == 0x0010) {
            encoding = vr ? &kExplicitLittle : &kImplicitLittle;
        } else {
            encoding = !vr ? &kImplicitLittle : (group > 0xFF || element > 0xFF) ? &kExplicitBig : &kExplicitLittle;
        }
    } else {
        encoding = &kImplicitLittle;
    }
    structure.dataSetOffset = position;
    const std::size_t metaElements = walker.elements();
    if (!walker.walkDataSet(position, *encoding)) {
        const Failure strict = walker.failure();
        // An element without a VR GDCM can read in an explicit VR little endian data set (real
        // files have them: pydicom's SC_rgb_jpeg.dcm is implicit VR throughout). GDCM's reader
        // would go on in a 16-bit-VR mode that reads garbage lengths (1.3 GB for that file) and,
        // when that throws, read the data set as a mixture of explicit and implicit elements. The
        // decoder reads such a data set that way at once (readAsExplicitOrImplicit), so the walk
        // checks that reading.
        if (encoding != &kExplicitLittle || !structure.hasFileMeta || strict.flaw != Flaw::InvalidVr)
            throw ImageError(sourceName, describe(strict, encoding->name));
        encoding = &kExplicitOrImplicitLittle;
        walker.restartCountsAt(metaElements);
        if (!walker.walkDataSet(position, *encoding))
            throw ImageError(sourceName, describe(walker.failure(), encoding->name));
        structure.readAsExplicitOrImplicit = true;
    }
    structure.encoding = encoding->name;
    structure.elements = walker.elements();
    structure.deepestNesting = walker.deepestNesting();
    return structure;
}

} // namespace intermap::image
