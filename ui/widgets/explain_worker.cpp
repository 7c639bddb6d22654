#include "widgets/explain_worker.h"
#include "render/mat_image.h"
#include "model/failure_text.h"

#include "intermap/compute/threading.h"
#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation.h"
#include "intermap/explain/explainer.h"
#include "intermap/explain/precision_check.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <QElapsedTimer>
#include <QFileInfo>

#include <chrono>
#include <limits>
#include <list>
#include <utility>

namespace intermap::ui {

// Loaded models by path, most recently used first; a few stay loaded so that switching back and
// forth (or the four inits of the study's figure) never reloads a checkpoint.
struct ExplainWorker::Models {
    static constexpr std::size_t kKeep = 4;
    struct Entry {
        QString path;
        int inputSize = 0;
        qint64 size = 0;
        QDateTime modified;
        model::LoadedVit loaded;
    };
    std::list<Entry> entries;
    explain::ExplainerRegistry registry = explain::ExplainerRegistry::withBuiltinMethods();
    torch::Device device = torch::kCPU;

    model::LoadedVit& get(const QString& path, int inputSize) {
        const QFileInfo info(path);
        for (auto it = entries.begin(); it != entries.end(); ++it)
            if (it->path == path && it->inputSize == inputSize && it->size == info.size() &&
                it->modified == info.lastModified()) {
                entries.splice(entries.begin(), entries, it);
                return entries.front().loaded;
            }
        // Models are compared side by side on one image in one frame: a checkpoint made for another
        // size runs at the comparison's with its position embedding resampled (said in its
        // description).
        Entry entry{path, inputSize, info.size(), info.lastModified(),
                    model::loadVit(path.toStdString(), model::ModelOpenOptions{std::nullopt, inputSize})};
        if (!entry.loaded.config.hasHead())
            throw UsageError(path.toStdString() + ": the checkpoint has no classification head (head.weight); "
                                                  "maps need a trained classifier");
        entry.loaded.model->to(device);
        entries.push_front(std::move(entry));
        while (entries.size() > kKeep)
            entries.pop_back();
        return entries.front().loaded;
    }
};

ExplainWorker::ExplainWorker() : m_models(std::make_unique<Models>()) {}
ExplainWorker::~ExplainWorker() = default;

namespace {

// The request's image as displayed (its window/level) and, when the model input reads it
// otherwise, as the model sees it; both pre-processed to the request's input size.
struct PreparedImage {
    image::DescribedImage shown;
    cv::Mat displayed;
    cv::Mat modelInput;
};

PreparedImage prepareImage(const MapRequest& request) {
    const auto recipe = image::parsePreprocessRecipe(request.recipe.toStdString());
    const std::string imagePath = request.imagePath.toStdString();
    PreparedImage prepared;
    prepared.shown = image::readImageDescribed(imagePath, request.reading.display());
    prepared.displayed = image::preprocessRgb8(prepared.shown.rgb, recipe, request.inputSize);
    prepared.modelInput =
        request.reading.modelReadsAsDisplayed() || request.modelPaths.isEmpty()
            ? prepared.displayed
            : image::preprocessRgb8(image::readImageRgb8(imagePath, request.reading.modelInput()), recipe, request.inputSize);
    return prepared;
}

} // namespace

void ExplainWorker::initialise() {
    QString deviceName = QStringLiteral("CPU");
    if (torch::cuda::is_available()) {
        m_models->device = torch::Device(torch::kCUDA, 0);
        deviceName = QStringLiteral("CUDA");
    }
    // A 512x512 float product, best of 3 (after one warm-up): ~0.27 GFLOP, a few ms with
    // OpenBLAS; the reference BLAS is ~30x slower, which the status bar then says.
    torch::NoGradGuard noGrad;
    const auto a = torch::randn({512, 512});
    const auto b = torch::randn({512, 512});
    double best = 1e9;
    for (int i = 0; i < 4; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto c = torch::matmul(a, b);
        (void)c.sum().item<float>();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (i > 0)
            best = std::min(best, seconds);
    }
    const double gflops = 2.0 * 512.0 * 512.0 * 512.0 / best / 1e9;
    Q_EMIT environmentReady(deviceName, QString::fromStdString(compute::describeThreads()), gflops);
}

void ExplainWorker::describeModel(const QString& path, int inputSize) {
    try {
        const model::LoadedVit& loaded = m_models->get(path, inputSize);
        ModelDescription description;
        description.path = path;
        description.architecture = QString::fromStdString(loaded.config.describe());
        description.numClasses = static_cast<int>(loaded.config.numClasses);
        description.layout = QString::fromStdString(loaded.family.layout);
        for (const auto& name : loaded.classNames)
            description.classNames << QString::fromStdString(name);
        description.normalisation = QString::fromStdString(loaded.normalisation.source);
        for (const auto& note : loaded.family.notes)
            description.notes << QString::fromStdString(note);
        description.device = m_models->device.is_cuda() ? QStringLiteral("CUDA") : QStringLiteral("CPU");
        for (const auto& warning : loaded.warnings)
            description.warnings << QString::fromStdString(warning);
        Q_EMIT modelDescribed(description);
    } catch (const std::exception& error) {
        Q_EMIT modelFailed(path, failureText(error));
    }
}

void ExplainWorker::computeMaps(const MapRequest& request) {
    if (request.generation < m_latestGeneration.load()) {
        Q_EMIT requestDropped(request.generation);
        return;
    }
    QElapsedTimer timer;
    timer.start();
    try {
        const auto recipe = image::parsePreprocessRecipe(request.recipe.toStdString());
        const std::string imagePath = request.imagePath.toStdString();
        const PreparedImage prepared = prepareImage(request);
        const image::DescribedImage& shown = prepared.shown;
        const int size = request.inputSize;
        const cv::Mat& displayed = prepared.displayed;
        const cv::Mat& rgb = prepared.modelInput;
        MapResult result;
        result.generation = request.generation;
        result.imagePath = request.imagePath;
        result.image = render::rgbMatToImage(displayed);
        result.facts = {shown.dicom, shown.voiWindow, QString::fromStdString(shown.voiApplied)};
        if (!request.maskPath.isEmpty())
            result.mask = render::greyMatToImage(eval::maskInModelFrame(
                data::maskReferenceOf(request.maskPath.toStdString(), QFileInfo(request.imagePath).completeBaseName().toStdString()),
                imagePath, recipe, size));

        const explain::ExplainOptions& options = request.options;
        std::vector<std::string> methods;
        for (const QString& method : request.methods)
            methods.push_back(method.toStdString());

        for (const QString& modelPath : request.modelPaths) {
            if (request.generation < m_latestGeneration.load()) {
                Q_EMIT requestDropped(request.generation);
                return;
            }
            const model::LoadedVit& loaded = m_models->get(modelPath, size);
            if (options.targetClass && *options.targetClass >= loaded.config.numClasses)
                throw UsageError("target class " + std::to_string(*options.targetClass) + " does not exist: " +
                                 modelPath.toStdString() + " has " + std::to_string(loaded.config.numClasses) + " classes");
            const auto explained =
                explain::explainImage(loaded, image::toNormalizedTensor(rgb, loaded.normalisation).to(m_models->device),
                                      methods, options, m_models->registry);
            ModelMaps maps;
            maps.modelPath = modelPath;
            const auto probabilities = torch::softmax(explained.logits.to(torch::kCPU).to(torch::kFloat64), -1);
            for (std::int64_t c = 0; c < probabilities.size(0); ++c)
                maps.probabilities << probabilities[c].item<double>();
            maps.predictedClass = static_cast<int>(explained.predictedClass);
            maps.targetClass = static_cast<int>(explained.targetClass);
            for (const auto& name : loaded.classNames)
                maps.classNames << QString::fromStdString(name);
            for (const auto& explanation : explained.maps) {
                const torch::Tensor map = explanation.map.to(torch::kCPU).to(torch::kFloat32).contiguous();
                maps.methods << QString::fromStdString(explanation.method);
                maps.maps.emplace_back(map.data_ptr<float>(), map.data_ptr<float>() + map.numel());
                maps.eigenSignChecks.push_back(explanation.eigenSign);
            }
            result.models.push_back(std::move(maps));
        }
        result.seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
        Q_EMIT mapsReady(result);
    } catch (const std::exception& error) {
        Q_EMIT requestFailed(request.generation, failureText(error));
    }
}

void ExplainWorker::computeCheferDrift(const MapRequest& request) {
    const auto superseded = [this, generation = request.generation] { return generation < m_latestGeneration.load(); };
    if (superseded()) {
        Q_EMIT requestDropped(request.generation);
        return;
    }
    cv::Mat rgb;
    try {
        rgb = prepareImage(request).modelInput;
    } catch (const std::exception& error) {
        for (const QString& modelPath : request.modelPaths)
            Q_EMIT cheferDriftReady(request.generation, request.imagePath, modelPath,
                                    std::numeric_limits<double>::quiet_NaN(), failureText(error));
        return;
    }
    for (const QString& modelPath : request.modelPaths) {
        try {
            if (superseded()) {
                Q_EMIT requestDropped(request.generation);
                return;
            }
            const model::LoadedVit& loaded = m_models->get(modelPath, request.inputSize);
            const auto input = image::toNormalizedTensor(rgb, loaded.normalisation).to(m_models->device);
            const std::optional<double> drift =
                explain::cheferPrecisionDrift(loaded, input, request.options, m_models->registry, superseded);
            if (!drift) {
                Q_EMIT requestDropped(request.generation);
                return;
            }
            Q_EMIT cheferDriftReady(request.generation, request.imagePath, modelPath, *drift, QString());
        } catch (const std::exception& error) {
            Q_EMIT cheferDriftReady(request.generation, request.imagePath, modelPath,
                                    std::numeric_limits<double>::quiet_NaN(), failureText(error));
        }
    }
}

void registerWorkerTypes() {
    qRegisterMetaType<ModelDescription>();
    qRegisterMetaType<MapRequest>();
    qRegisterMetaType<MapResult>();
}

} // namespace intermap::ui
