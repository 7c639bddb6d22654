#include "intermap/train/loader_streams.h"

#include <mutex>
#include <set>

namespace intermap::train {
namespace {

class LoaderStream : public BatchStream {
public:
    LoaderStream(std::vector<data::Sample> samples, data::LoaderOptions options,
                 std::shared_ptr<std::vector<std::string>> warnings)
        : m_loader(std::move(samples), options), m_warnings(std::move(warnings)) {}
    ~LoaderStream() override {
        // Each corrupt image is reported once per run, not once per epoch.
        static std::mutex mutex;
        std::lock_guard<std::mutex> lock(mutex);
        std::set<std::string> known(m_warnings->begin(), m_warnings->end());
        for (const auto& warning : m_loader.warnings())
            if (known.insert(warning).second)
                m_warnings->push_back(warning);
    }
    std::int64_t batchCount() const override { return m_loader.batchCount(); }
    std::optional<std::pair<torch::Tensor, torch::Tensor>> next() override {
        auto batch = m_loader.next();
        if (!batch)
            return std::nullopt;
        return std::make_pair(batch->images, batch->labels);
    }

private:
    data::BatchLoader m_loader;
    std::shared_ptr<std::vector<std::string>> m_warnings;
};

} // namespace

BatchStreamFactory loaderStreams(const data::DatasetSplits& splits, const StreamSettings& settings,
                                 std::shared_ptr<std::vector<std::string>> warnings) {
    return [train = splits.train, validation = splits.val, settings, warnings](Split split, int epoch) {
        data::LoaderOptions options;
        options.batchSize = settings.batchSize;
        options.recipe = settings.recipe;
        options.imageReading = settings.imageReading;
        options.input = settings.input;
        options.seed = settings.seed;
        options.epoch = epoch;
        options.workers = settings.workers;
        const bool training = split == Split::Train;
        options.shuffle = training;
        options.augment = training && settings.augment;
        options.augmentOptions = settings.augmentOptions;
        return std::unique_ptr<BatchStream>(
            std::make_unique<LoaderStream>(training ? train : validation, options, warnings));
    };
}

ClassifierScores scoreClassifier(model::VisionTransformer& model, const std::vector<data::Sample>& samples,
                                 image::PreprocessRecipe recipe, const data::ModelInputFrame& input, int batchSize,
                                 const image::ImageReadOptions& reading) {
    data::LoaderOptions options;
    options.input = input;
    options.batchSize = batchSize;
    options.recipe = recipe;
    options.imageReading = reading;
    data::BatchLoader loader(samples, options);
    const auto device = model->parameters().front().device();
    const bool wasTraining = model->is_training();
    model->eval();
    torch::NoGradGuard noGrad;
    std::vector<double> scores;
    std::vector<int> labels;
    std::int64_t correct = 0, count = 0;
    while (auto batch = loader.next()) {
        const auto logits = model->forward(batch->images.to(device), model::logitsOnly()).logits.to(torch::kCPU);
        correct += logits.argmax(1).eq(batch->labels).sum().item<std::int64_t>();
        count += batch->labels.size(0);
        if (logits.size(1) == 2) {
            const auto positive = torch::softmax(logits.to(torch::kFloat64), 1).select(1, 1).contiguous();
            for (std::int64_t i = 0; i < positive.size(0); ++i) {
                scores.push_back(positive[i].item<double>());
                labels.push_back(static_cast<int>(batch->labels[i].item<std::int64_t>()));
            }
        }
    }
    model->train(wasTraining);
    ClassifierScores result;
    result.count = count;
    result.accuracy = result.count ? static_cast<double>(correct) / static_cast<double>(result.count) : 0.0;
    result.auc = rocAuc(scores, labels);
    return result;
}

} // namespace intermap::train
