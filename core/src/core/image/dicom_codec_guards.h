#pragma once
// Checks of compressed Pixel Data that GDCM 3.0.21's codecs would crash on (a null decoder, reads
// outside a fragment), made before the decoder hands the fragments to GDCM. Found by fuzz_dicom
// once the structural walk (dicom_prescan.h) let it past GDCM's reader; each throws
// ImageError(source, what was wrong).
#include <gdcmSequenceOfFragments.h>

#include <string>

namespace intermap::image {

// JPEG processes (lossy and lossless): every fragment that starts a JPEG stream has a frame header
// whose sample precision is 1 to 16 bits.
void checkJpegFramePrecision(const gdcm::SequenceOfFragments& fragments, const std::string& source);

// RLE Lossless: every fragment's header gives 1 to 15 segments, the first at 64, in order, within
// the fragment (PS3.5 G.3.1).
void checkRleSegmentOffsets(const gdcm::SequenceOfFragments& fragments, const std::string& source);

// What the data set says a JPEG 2000 frame holds: GDCM sizes its output buffer from these.
struct Jpeg2000Expectation {
    long long columns = 0;
    long long rows = 0;
    int samplesPerPixel = 1;
    int bitsAllocated = 0;
};

// JPEG 2000: every frame (a fragment that starts a codestream, bare or in a JP2 file, and the
// fragments after it) has its JP2 boxes and marker segments within the frame, an image of Columns x
// Rows in every component, Samples per Pixel components, and samples that fit Bits Allocated once
// decoded (GDCM widens a precision to 8, 16 or 32 bits).
void checkJpeg2000Frames(const gdcm::SequenceOfFragments& fragments, const Jpeg2000Expectation& expected,
                           const std::string& source);

} // namespace intermap::image
