#pragma once
// Synthetic training batches for trainer tests and the GPU check: class 1 images are brighter in
// their top-left quarter, learnable by a tiny ViT in a few steps. Seeded per (seed, batch), so
// every epoch of every run sees the same data.
#include "intermap/train/trainer.h"

#include <torch/torch.h>

namespace intermap::test {

class SyntheticStream : public train::BatchStream {
public:
    SyntheticStream(int seed, int batches, int batchSize = 8) : m_seed(seed), m_batches(batches), m_batchSize(batchSize) {}
    std::int64_t batchCount() const override { return m_batches; }
    std::optional<std::pair<torch::Tensor, torch::Tensor>> next() override {
        if (m_index >= m_batches)
            return std::nullopt;
        torch::Generator generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(m_seed * 1000 + m_index));
        ++m_index;
        auto images = torch::randn({m_batchSize, 3, 224, 224}, generator);
        auto labels = torch::arange(m_batchSize, torch::kInt64).remainder(2);
        auto topLeft = torch::zeros({1, 1, 224, 224});
        topLeft.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 112),
                            torch::indexing::Slice(0, 112)},
                           1.5);
        images += labels.to(torch::kFloat32).view({m_batchSize, 1, 1, 1}) * topLeft;
        return std::make_pair(images, labels);
    }

private:
    int m_seed;
    int m_batches;
    int m_batchSize;
    int m_index = 0;
};

} // namespace intermap::test
