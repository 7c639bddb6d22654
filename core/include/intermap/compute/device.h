#pragma once
// Where a model runs: the words `--device` takes (train, evaluate) and the torch::Device they mean.
#include <torch/types.h>

#include <string>

namespace intermap::compute {

// "auto" (CUDA when this LibTorch has it and a GPU is visible, else the CPU), "cpu" or "cuda".
// Throws UsageError for "cuda" without a usable GPU and for any other word.
torch::Device chooseDevice(const std::string& requested);

} // namespace intermap::compute
