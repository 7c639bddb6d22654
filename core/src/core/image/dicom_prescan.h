#pragma once
// A structural walk over a DICOM file's bytes before GDCM reads them (std only, no allocation
// unless it refuses).
//
// Why: Debian's GDCM 3.0.21 allocates whatever value length a header claims before reading the
// value (gdcm::ByteValue::SetLength: a 100-byte file can ask for 4 GB) and, being built with
// assertions, aborts on several malformed layouts (a file meta group cut short, an undefined
// length where it expects none, an item tag where it expects an element). The walk checks the
// layout that GDCM is about to trust: every element's value fits in what encloses it (the file,
// the defined-length sequence or item around it), sequences and items open and close, nesting
// stays shallow, and the file meta group is whole and its group length true. A file that fails
// is refused with an ImageError naming the tag, its offset and what was wrong; a file that passes
// goes to GDCM unchanged. It is lenient where real files are: odd lengths, elements without a
// valid VR inside explicit-VR files (read as implicit, as GDCM's fallback does, and then the
// decoder reads them that way: DicomStructure::readAsExplicitOrImplicit). Not covered: a deflated
// data set (1.2.840.10008.1.2.1.99) is checked up to its file meta group only, since walking it
// would mean inflating it; GDCM may still allocate what a length inside it claims.
#include <cstddef>
#include <string>
#include <string_view>

namespace intermap::image {

// Nested sequences deeper than this are refused (real files nest a handful; each level is a
// frame of GDCM's recursive reader).
inline constexpr int kMaxDicomSequenceNesting = 64;

// What the walk found, for tests and messages.
struct DicomStructure {
    const char* encoding = "";     // the encoding that walked the data set cleanly, e.g. "explicit VR little endian"
    bool hasPreamble = false;      // 128 bytes and "DICM" before the file meta group
    bool hasFileMeta = false;      // a group 0002 was found (after a preamble, or at the start)
    bool dataSetWalked = true;     // false for a deflated data set: only the file meta group is checked
    std::size_t elements = 0;      // data elements seen, nested ones included
    int deepestNesting = 0;        // the deepest sequence level reached (0: no sequence)
    std::size_t dataSetOffset = 0; // where the data set starts (after the preamble and file meta group)
    // The data set is declared explicit VR little endian but holds elements without a VR that GDCM
    // can read: it must be read as GDCM's mixture of explicit and implicit elements
    // (gdcm::ExplicitImplicitDataElement) from the start, not by gdcm::Reader, whose first
    // fallback for such a file allocates whatever lengths it then misreads.
    bool readAsExplicitOrImplicit = false;
};

// Walks `bytes` as PS3.5 chapter 7 encodes a data set; throws ImageError(sourceName, reason)
// when its structure would make GDCM allocate more than the file holds or abort.
DicomStructure checkDicomStructure(std::string_view bytes, const std::string& sourceName);

} // namespace intermap::image
