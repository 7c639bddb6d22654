#pragma once
// Who owns the CPU cores. LibTorch runs element-wise and reduction kernels on its intra-op pool;
// matrix products go to the system BLAS (OpenBLAS on Debian), which runs its own threads. If
// both use every core they oversubscribe them (measured in the study's Python: ~2x slower), so
// intermap gives the cores to one owner at a time. See BENCHMARKS.md for the measurements.
#include <string>

namespace intermap::compute {

struct ThreadPolicy {
    int torchIntraOpThreads = 1; // at::set_num_threads
    int blasThreads = 1;         // openblas_set_num_threads (ignored if the BLAS is not OpenBLAS)
};

// The measured default for this many cores (0 = detect): see threading.cpp.
ThreadPolicy defaultThreadPolicy(int cores = 0);

// Parses "T" (T threads for the measured default split) or "TORCH,BLAS" (explicit); also the
// environment variable INTERMAP_THREADS. Throws UsageError on anything else.
ThreadPolicy parseThreadPolicy(const std::string& text);

// The default, overridden by INTERMAP_THREADS when set.
ThreadPolicy threadPolicyFromEnvironment();

// Applies the policy process-wide. Call once, early, from the thread that will run the model
// (LibTorch's pool size can only be set before its first parallel region).
void applyThreadPolicy(const ThreadPolicy& policy);

// e.g. "torch 1 intra-op thread, OpenBLAS 2 threads (libopenblas...)"
std::string describeThreads();

} // namespace intermap::compute
