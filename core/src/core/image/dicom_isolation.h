#pragma once
// DICOM decoding in a child process, so that a malformed file can never take intermap down.
//
// Why: Debian's GDCM (3.0.21) is built with assertions, and some malformed files make it call
// abort() inside its reader (gdcmFileMetaInformation.cxx:591 on pydicom's DICOMDIR-nooffset and
// on its waveform_ecg.dcm cut at 64 KB; the fuzzer found more, tests/README.md). An abort cannot be caught, so
// the decoder runs in a fork()ed child that streams its result back over a pipe; a child killed
// by a signal becomes an ImageError naming the file, the signal and GDCM's last words, and the
// batch goes on with the next file. Std + POSIX only: tests/fuzz builds it with the sanitizers.
//
// Cost: one fork() per file (copy-on-write; see BENCHMARKS.md, "DICOM decoding in a child
// process"). Where fork() is unavailable (not POSIX, or it fails for lack of resources) the
// decoder runs in this process.
//
// NOT USED BY THE READER (dicom_reader.cpp): fork() from a process whose other threads run
// OpenBLAS deadlocked in OpenBLAS 0.3.21's fork handler (blas_thread_shutdown_) in the GUI, even
// with forks serialised. Safe only in a process without such threads (tests, the fuzzer); the
// product needs a spawned decoder executable instead.
#include "dicom_decoder.h"

#include <optional>
#include <string>
#include <string_view>

namespace intermap::image {

// What became of one decode in a child, before it is turned into a result or an exception.
struct IsolatedDecodeOutcome {
    std::optional<DecodedDicom> image; // set when the child decoded the file
    std::string errorMessage;          // set when the child reported an intermap error: the reason only
    int terminatingSignal = 0;         // the child was killed by this signal (e.g. SIGABRT)
    int abnormalExitCode = 0;          // the child exited without a result, with this status
    bool timedOut = false;             // the child was still running at the deadline and was killed
    std::string childStderr;           // the last 4 KB the child wrote to stderr (GDCM's assertion text)
    bool ranInChild = true;            // false: fork() was unavailable and the decoder ran here
};

// The longest a child may decode one file before it is killed (the largest legitimate input, a
// 2^28-pixel JPEG 2000 image, decodes in well under this on one core).
inline constexpr int kDicomDecodeTimeoutSeconds = 600;

// Runs decodeDicom(encoded, sourceName, options) in a child process and reports what happened.
// Never throws for anything the child does; throws only ImageError when no pipe can be made.
IsolatedDecodeOutcome decodeDicomInChild(std::string_view encoded, const std::string& sourceName,
                                         const ImageReadOptions& options,
                                         int timeoutSeconds = kDicomDecodeTimeoutSeconds);

// The product's entry point: decodeDicomInChild, then the image, or ImageError(sourceName, reason)
// for every other outcome, e.g. "the DICOM decoder crashed on this file (malformed or
// unsupported): SIGABRT; it said: gdcmDataSet.txx:54: ... Assertion `...' failed."
DecodedDicom decodeDicomIsolated(std::string_view encoded, const std::string& sourceName,
                                 const ImageReadOptions& options);

} // namespace intermap::image
