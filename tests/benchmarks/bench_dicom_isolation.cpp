// The price of decoding DICOM in the decoder's own process (core/src/core/image/dicom_isolation.h):
// the same files decoded in this process (decodeDicom) and through the product's path
// (decodeDicomIsolated: spawn intermap-dicom-decoder, send it the file, read the pixels back),
// alternating, best of N. Prints milliseconds per file; a benchmark, not a test (nothing is
// asserted).
//
//   intermap-bench-dicom [REPEATS] [RESIDENT_MB]    (python3-pydicom's test files, read in place)
//
// RESIDENT_MB: memory this process holds (written, so resident) while it starts decoders, as the
// GUI or an evaluation holds a model (fork() would copy the page tables of all of it;
// posix_spawn should not).
#include "dicom_decoder.h"
#include "dicom_isolation.h"

#include "intermap/util/file_io.h"
#include "intermap/util/errors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
    const long residentMb = argc > 2 ? std::max(0L, std::atol(argv[2])) : 0;
    std::vector<char> resident(static_cast<std::size_t>(residentMb) << 20, 1); // value-initialised: touched
    std::printf("%ld MB resident besides the decoder\n", residentMb);
    const std::string folder = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";
    std::printf("%-28s %10s %12s %12s %10s\n", "file", "pixels", "in-process", "child", "overhead");
    for (const char* name : {"CT_small.dcm", "MR_small.dcm", "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm"}) {
        std::string bytes;
        try {
            bytes = intermap::util::readWholeFile<intermap::ImageError>(folder + name, "a DICOM file");
        } catch (const intermap::Error& error) {
            std::printf("%-28s skipped: %s\n", name, error.what());
            continue;
        }
        using Clock = std::chrono::steady_clock;
        double inProcess = 1e30, isolated = 1e30;
        long long pixels = 0;
        for (int r = 0; r < repeats; ++r) {
            auto start = Clock::now();
            const auto here = intermap::image::decodeDicom(bytes, name, {});
            inProcess = std::min(inProcess, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            start = Clock::now();
            const auto child = intermap::image::decodeDicomIsolated(bytes, name, {});
            isolated = std::min(isolated, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            pixels = static_cast<long long>(here.metadata.rows) * here.metadata.columns;
            if (child.rgb != here.rgb) {
                std::printf("%s: the child's pixels differ\n", name);
                return 1;
            }
        }
        std::printf("%-28s %10lld %9.2f ms %9.2f ms %7.2f ms\n", name, pixels, inProcess, isolated, isolated - inProcess);
    }
    return 0;
}
