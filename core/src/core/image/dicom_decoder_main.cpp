// intermap-dicom-decoder: decodes one DICOM file for an intermap program, in a process of its own
// so that GDCM's aborts on malformed files end this process only (dicom_isolation.h).
#include "dicom_isolation.h"

#include <cstdio>
#include <string_view>

#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 2 || std::string_view(argv[1]) != "--serve") {
        std::fprintf(stderr, "intermap-dicom-decoder: started by intermap to decode one DICOM file (the request on "
                             "stdin, the image on stdout); not a command to run by hand\n");
        return 2;
    }
    return intermap::image::serveDicomDecodeRequest(STDIN_FILENO, STDOUT_FILENO);
}
