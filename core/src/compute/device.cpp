#include "intermap/compute/device.h"

#include "intermap/util/errors.h"

#include <torch/cuda.h>

namespace intermap::compute {

torch::Device chooseDevice(const std::string& requested) {
    if (requested == "cpu")
        return torch::kCPU;
    if (requested == "cuda") {
        if (!torch::cuda::is_available())
            throw UsageError("--device cuda: this LibTorch build has no CUDA or no GPU is visible");
        return torch::kCUDA;
    }
    if (requested == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw UsageError("device '" + requested + "': expected auto, cpu or cuda");
}

} // namespace intermap::compute
