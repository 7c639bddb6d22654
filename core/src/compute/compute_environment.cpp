#include "intermap/compute/compute_environment.h"

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include <dlfcn.h>
#include <link.h>

namespace intermap::compute {
namespace {

bool isLoaded(const std::string& fileNamePrefix) {
    struct Search {
        const std::string* prefix;
        bool found;
    } search{&fileNamePrefix, false};
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto* search = static_cast<Search*>(data);
            const std::string path = info->dlpi_name ? info->dlpi_name : "";
            const std::string name = path.substr(path.find_last_of('/') + 1);
            if (name.rfind(*search->prefix, 0) == 0)
                search->found = true;
            return search->found ? 1 : 0;
        },
        &search);
    return search.found;
}

// The NVIDIA driver API, looked up at run time: no CUDA headers or libraries are needed to build
// this, and a machine without the driver simply has no list.
std::vector<GpuDevice> driverGpus(std::string* note) {
    void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!driver) {
        *note = "no NVIDIA driver: libcuda.so.1 not found";
        return {};
    }
    using Init = int (*)(unsigned);
    using GetCount = int (*)(int*);
    using Get = int (*)(int*, int);
    using GetName = int (*)(char*, int, int);
    using TotalMemory = int (*)(size_t*, int);
    const auto init = reinterpret_cast<Init>(dlsym(driver, "cuInit"));
    const auto getCount = reinterpret_cast<GetCount>(dlsym(driver, "cuDeviceGetCount"));
    const auto get = reinterpret_cast<Get>(dlsym(driver, "cuDeviceGet"));
    const auto getName = reinterpret_cast<GetName>(dlsym(driver, "cuDeviceGetName"));
    const auto totalMemory = reinterpret_cast<TotalMemory>(dlsym(driver, "cuDeviceTotalMem_v2"));
    std::vector<GpuDevice> gpus;
    int count = 0;
    if (!init || !getCount || !get || !getName || !totalMemory) {
        *note = "the NVIDIA driver (libcuda.so.1) lacks the device queries";
    } else if (const int status = init(0); status != 0) {
        *note = "the NVIDIA driver did not start (cuInit error " + std::to_string(status) + ")";
    } else if (getCount(&count) != 0 || count == 0) {
        *note = "the NVIDIA driver sees no GPU";
    } else {
        for (int ordinal = 0; ordinal < count; ++ordinal) {
            int device = 0;
            char name[256] = {};
            size_t bytes = 0;
            if (get(&device, ordinal) != 0 || getName(name, sizeof name - 1, device) != 0)
                continue;
            totalMemory(&bytes, device);
            gpus.push_back({name, static_cast<std::uint64_t>(bytes)});
        }
    }
    // The driver stays loaded: LibTorch's CUDA runtime may hold it too, and unloading buys nothing.
    return gpus;
}

std::string readLink(const std::string& path) {
    std::error_code failed;
    const auto target = std::filesystem::read_symlink(path, failed);
    if (failed)
        return {};
    return target.is_absolute() ? target.string() : (std::filesystem::path(path).parent_path() / target).string();
}

bool contains(const std::string& text, const char* part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TorchDevices probeTorchDevices() {
    TorchDevices devices;
    devices.libtorchVersion = TORCH_VERSION;
    devices.libtorchHasCuda = isLoaded("libtorch_cuda") || isLoaded("libc10_cuda");
    devices.cudaAvailable = torch::cuda::is_available();
    devices.cudaDeviceCount = static_cast<int>(torch::cuda::device_count());
    devices.driverGpus = driverGpus(&devices.driverNote);
    return devices;
}

const char* blasKindName(BlasLibrary::Kind kind) {
    switch (kind) {
    case BlasLibrary::Kind::OpenBlas: return "openblas";
    case BlasLibrary::Kind::Reference: return "reference";
    case BlasLibrary::Kind::Other: return "other";
    case BlasLibrary::Kind::InsideLibTorch: return "inside-libtorch";
    case BlasLibrary::Kind::NotFound: return "not-found";
    }
    return "not-found";
}

BlasLibrary probeBlasLibrary() {
    BlasLibrary blas;
    // LibTorch calls the Fortran sgemm_ for float32 products; the object that provides it in the
    // global scope is the one those calls reach (an OpenBLAS loaded beside a reference libblas.so.3
    // does not make the products fast).
    void* gemm = dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info where{};
    if (!gemm || !dladdr(gemm, &where) || !where.dli_fname) {
        if (at::hasMKL()) {
            blas.kind = BlasLibrary::Kind::InsideLibTorch;
            blas.name = "MKL (inside LibTorch)";
        } else {
            blas.name = "none found (no sgemm_ in the process)";
        }
        return blas;
    }
    blas.loadedPath = where.dli_fname;
    std::error_code failed;
    const auto canonical = std::filesystem::canonical(blas.loadedPath, failed);
    blas.resolvedPath = failed ? blas.loadedPath : canonical.string();
    // Debian: /usr/lib/<triplet>/libblas.so.3 -> /etc/alternatives/libblas.so.3-<triplet> -> the chosen one.
    const std::string firstLink = readLink(blas.loadedPath);
    if (firstLink.rfind("/etc/alternatives/", 0) == 0)
        blas.alternativeName = std::filesystem::path(firstLink).filename().string();
    using GetConfig = char* (*)();
    const auto getConfig = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    std::string lower = blas.resolvedPath;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (contains(lower, "openblas")) {
        blas.kind = BlasLibrary::Kind::OpenBlas;
        blas.name = "OpenBLAS";
        if (getConfig && getConfig())
            blas.openBlasConfig = getConfig();
    } else if (contains(lower, "/blas/libblas.so")) {
        // Debian's libblas3 (netlib's reference implementation) installs exactly there.
        blas.kind = BlasLibrary::Kind::Reference;
        blas.name = "reference BLAS (netlib)";
    } else {
        blas.kind = BlasLibrary::Kind::Other;
        blas.name = contains(lower, "blis")    ? "BLIS"
                    : contains(lower, "atlas") ? "ATLAS"
                    : contains(lower, "mkl")   ? "MKL"
                                               : std::filesystem::path(blas.resolvedPath).filename().string();
    }
    return blas;
}

MatrixProductRate measureMatrixProductRate(bool onGpu, double budgetSeconds) {
    MatrixProductRate rate;
    rate.device = onGpu ? "cuda:0" : "cpu";
    try {
        torch::NoGradGuard noGrad;
        const torch::Device device = onGpu ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
        const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
        using Clock = std::chrono::steady_clock;
        // .item() waits for the result, on a GPU too.
        auto timeProduct = [](const torch::Tensor& a, const torch::Tensor& b, torch::Tensor* product) {
            const auto start = Clock::now();
            *product = torch::matmul(a, b);
            (void)product->sum().item<float>();
            return std::chrono::duration<double>(Clock::now() - start).count();
        };
        torch::Tensor product;
        int size = 512;
        auto a = torch::randn({size, size}, options);
        auto b = torch::randn({size, size}, options);
        // 512^3 x 2 = 0.27 GFLOP: ~0.1 s on the reference BLAS, a few ms on OpenBLAS; 1024 then
        // gives a rate less dominated by start-up costs.
        if (timeProduct(a, b, &product) < 0.02) {
            size = 1024;
            a = torch::randn({size, size}, options);
            b = torch::randn({size, size}, options);
            timeProduct(a, b, &product); // warm-up at the new size
        }
        const auto start = Clock::now();
        double best = 1e30;
        int repetitions = 0;
        while (repetitions < 2 || (std::chrono::duration<double>(Clock::now() - start).count() < budgetSeconds && repetitions < 1000)) {
            best = std::min(best, timeProduct(a, b, &product));
            ++repetitions;
        }
        // One row again without BLAS: a library that returns garbage fails here, not in a study.
        const auto row = (a[0].unsqueeze(1) * b).sum(0);
        const double scale = std::max(1.0, row.abs().max().item<double>());
        const double difference = (row - product[0]).abs().max().item<double>();
        if (!(difference <= 1e-3 * scale)) {
            rate.error = "the matrix product is wrong (row 0 differs from the element-wise sum by " +
                         std::to_string(difference) + ")";
            return rate;
        }
        rate.ran = true;
        rate.size = size;
        rate.repetitions = repetitions;
        rate.bestSeconds = best;
        rate.gflops = 2.0 * size * static_cast<double>(size) * size / best / 1e9;
    } catch (const std::exception& error) {
        // c10::Error carries a backtrace after its first line; the first line says what failed.
        const std::string what = error.what();
        rate.error = what.substr(0, what.find('\n'));
    }
    return rate;
}

} // namespace intermap::compute
