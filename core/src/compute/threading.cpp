#include "intermap/compute/threading.h"

#include "intermap/util/errors.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <dlfcn.h>

namespace intermap::compute {
namespace {

// OpenBLAS's thread controls, looked up at run time: LibTorch links whatever libblas.so.3 the
// system selects, so intermap neither links OpenBLAS directly nor fails without it.
using SetThreads = void (*)(int);
using GetThreads = int (*)();

SetThreads openBlasSetThreads() {
    return reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}

GetThreads openBlasGetThreads() {
    return reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
}

int detectedCores() {
    return std::max(1u, std::thread::hardware_concurrency());
}

int parsePositive(const std::string& text, const std::string& whole) {
    try {
        size_t used = 0;
        const int value = std::stoi(text, &used);
        if (used == text.size() && value > 0)
            return value;
    } catch (const std::exception&) {
    }
    throw UsageError("thread setting '" + whole + "' must be N or TORCH,BLAS with positive integers");
}

} // namespace

ThreadPolicy defaultThreadPolicy(int cores) {
    if (cores <= 0)
        cores = detectedCores();
    // Matrix products dominate every method, and OpenBLAS runs them at full speed only with
    // every core; LibTorch's element-wise kernels are memory-bound and gain little from a second
    // thread. Measured on 2 cores, ViT-B/16 trio per image (BENCHMARKS.md): torch 1 + OpenBLAS 2
    // 3.55 s; torch 1 + OpenBLAS 1 4.85 s; torch 2 + OpenBLAS 1 5.38 s; torch 2 + OpenBLAS 2
    // (oversubscribed) 7.43 s.
    ThreadPolicy policy;
    policy.torchIntraOpThreads = 1;
    policy.blasThreads = cores;
    return policy;
}

ThreadPolicy parseThreadPolicy(const std::string& text) {
    const auto comma = text.find(',');
    if (comma == std::string::npos)
        return defaultThreadPolicy(parsePositive(text, text));
    ThreadPolicy policy;
    policy.torchIntraOpThreads = parsePositive(text.substr(0, comma), text);
    policy.blasThreads = parsePositive(text.substr(comma + 1), text);
    return policy;
}

ThreadPolicy threadPolicyFromEnvironment() {
    const char* setting = std::getenv("INTERMAP_THREADS");
    if (setting && *setting)
        return parseThreadPolicy(setting);
    return defaultThreadPolicy();
}

void applyThreadPolicy(const ThreadPolicy& policy) {
    at::set_num_threads(policy.torchIntraOpThreads);
    if (auto setThreads = openBlasSetThreads())
        setThreads(policy.blasThreads);
}

std::string describeThreads() {
    std::ostringstream out;
    out << "torch " << at::get_num_threads() << " intra-op thread(s), ";
    if (auto getThreads = openBlasGetThreads())
        out << "OpenBLAS " << getThreads() << " thread(s)";
    else
        out << "BLAS is not OpenBLAS (install libopenblas0-pthread: the reference BLAS is ~30x slower)";
    return out.str();
}

} // namespace intermap::compute
