#pragma once
// What this process computes with: the LibTorch build and the devices it sees, the BLAS library
// that runs its matrix products, and how fast a matrix product runs. Read by `intermap-cli doctor`
// and the GUI's system report (system/system_report.h). Torch-free header; the implementation
// uses public LibTorch API only, so it builds against CPU and CUDA LibTorch 1.13 and 2.x alike.
#include <cstdint>
#include <string>
#include <vector>

namespace intermap::compute {

struct GpuDevice {
    std::string name;
    std::uint64_t memoryBytes = 0;
};

struct TorchDevices {
    std::string libtorchVersion;  // "1.13.1"
    bool libtorchHasCuda = false; // LibTorch's CUDA libraries are loaded in this process
    bool cudaAvailable = false;   // torch::cuda::is_available()
    int cudaDeviceCount = 0;      // torch::cuda::device_count()
    // The NVIDIA driver's own list (libcuda.so.1, read at run time), so that names and memory are
    // known without CUDA headers, and GPUs show even when this LibTorch cannot use them.
    std::vector<GpuDevice> driverGpus;
    std::string driverNote; // why the driver list is empty ("no NVIDIA driver: libcuda.so.1 not found")
};

TorchDevices probeTorchDevices();

struct BlasLibrary {
    enum class Kind { OpenBlas, Reference, Other, InsideLibTorch, NotFound };
    Kind kind = Kind::NotFound;
    std::string name;         // "OpenBLAS", "reference BLAS (netlib)", "BLIS", "MKL (inside LibTorch)", ...
    std::string loadedPath;   // the file that provides sgemm_ as the process loaded it
    std::string resolvedPath; // the same after symbolic links (Debian's alternatives)
    // Debian's alternative that selects it ("libblas.so.3-x86_64-linux-gnu"), when the loaded
    // file is such a link; empty otherwise.
    std::string alternativeName;
    std::string openBlasConfig; // openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen"
};

// Which library provides the single-precision matrix product LibTorch calls (sgemm_).
BlasLibrary probeBlasLibrary();

// Names a kind the way reports and tests do.
const char* blasKindName(BlasLibrary::Kind kind);

struct MatrixProductRate {
    std::string device;      // "cpu" or "cuda:0"
    bool ran = false;        // the product ran and gave the right result
    std::string error;       // why not, when !ran
    int size = 0;            // N of the N x N float32 product timed
    int repetitions = 0;
    double bestSeconds = 0;  // fastest single product
    double gflops = 0;       // 2 N^3 / bestSeconds / 1e9
};

// Times float32 N x N matrix products on the CPU or the first GPU for about `budgetSeconds`
// (N = 1024, or 512 where one product is slow) and checks one row against a sum of element-wise
// products (no BLAS). The best repetition is kept: other programs on the machine only slow some.
// An exception (no such device, a broken BLAS) is caught and reported in `error`.
MatrixProductRate measureMatrixProductRate(bool onGpu, double budgetSeconds);

} // namespace intermap::compute
