#include "intermap/eval/sanity.h"

#include "intermap/eval/metrics.h"

#include "intermap/explain/explainer.h"
#include "intermap/image/image_io.h"
#include "intermap/model/initialisation.h"
#include "intermap/model/vit.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/name_characters.h"
#include "intermap/util/npy.h"
#include "intermap/version.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace intermap::eval {
namespace fs = std::filesystem;

namespace {

struct PreparedImage {
    std::string path;
    std::string stem;
    cv::Mat rgb8;              // the pre-processed S x S image the model sees
    torch::Tensor input;       // [1,3,S,S]
    std::int64_t targetClass;  // fixed by the trained model
    std::vector<std::vector<float>> trainedMaps; // per method, stage 0
};

std::string mapFile(const std::string& outDir, int stage, const std::string& method, const std::string& stem) {
    return (fs::path(outDir) / "maps" / ("stage" + std::to_string(stage)) / method / (stem + ".npy")).string();
}

std::string jpegMapFile(const RandomisationSettings& settings, const std::string& method, const std::string& stem) {
    return (fs::path(settings.outDir) / "maps" / ("jpeg" + std::to_string(settings.stabilityOptions.jpegQuality)) / method /
            (stem + ".npy"))
        .string();
}

std::vector<float> writeMap(const std::string& path, const torch::Tensor& map) {
    const torch::Tensor contiguous = map.contiguous();
    fs::create_directories(fs::path(path).parent_path());
    npy::writeFloat32(path, contiguous.data_ptr<float>(), {contiguous.size(0), contiguous.size(1)});
    return std::vector<float>(contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel());
}

void validate(const RandomisationSettings& settings, const explain::ExplainerRegistry& registry) {
    if (settings.methods.empty())
        throw UsageError("no method given");
    for (const auto& method : settings.methods)
        registry.create(method); // UsageError naming the known methods
    if (settings.images.empty())
        throw UsageError("no image given");
    std::map<std::string, std::string> byStem;
    for (const auto& image : settings.images) {
        const std::string stem = util::imageFileStem(image);
        if (const std::string problem = util::controlCharacterProblem("its stem", stem); !problem.empty())
            throw UsageError(util::escapeControlCharacters(image) + ": " + problem + " (it names the image's map files)");
        const auto [at, inserted] = byStem.emplace(stem, image);
        if (!inserted)
            throw UsageError("'" + at->second + "' and '" + image + "' have the same stem '" + stem + "' and would write the same map files");
    }
    if (settings.outDir.empty())
        throw UsageError("no output folder given");
    if (settings.stability)
        checkStabilityOptions(settings.stabilityOptions);
    if (settings.batchSize < 1)
        throw UsageError("the batch size must be at least 1, got " + std::to_string(settings.batchSize));
}

// Both stability measures of one image on the trained model, its maps of the re-encoded image
// written beside the stages'.
void measureImageStability(const RandomisationSettings& settings, const model::LoadedVit& trained,
                           const explain::ExplainerRegistry& registry, const PreparedImage& image, RandomisationOutcome& outcome) {
    StabilityOptions options = settings.stabilityOptions;
    options.seed = settings.seed;
    explain::ExplainOptions explainOptions = settings.explainOptions;
    explainOptions.targetClass = image.targetClass;
    const auto measured = measureStability(trained, image.rgb8, image.input, settings.methods, image.trainedMaps, explainOptions,
                                           registry, options);
    const int side = static_cast<int>(trained.config.imageSize);
    for (const auto& result : measured) {
        const std::string path = jpegMapFile(settings, result.method, image.stem);
        fs::create_directories(fs::path(path).parent_path());
        npy::writeFloat32(path, result.jpegMap.data(), {side, side});
        outcome.stabilityRows.push_back({image.path, result.method, result.maxSensitivity, result.jpeg});
    }
}

// Explains `images` on `model` in batches of settings.batchSize, calling `onImage` for each in
// order. With fixedTargets every image is explained for its targetClass (fixed by the trained
// model); otherwise for settings' target class, or its prediction.
template <typename OnImage>
void forEachBatch(const model::LoadedVit& model, std::vector<PreparedImage>& images, const RandomisationSettings& settings,
                  const explain::ExplainerRegistry& registry, bool fixedTargets, OnImage onImage) {
    const auto batchSize = static_cast<std::size_t>(settings.batchSize);
    for (std::size_t begin = 0; begin < images.size(); begin += batchSize) {
        const std::size_t end = std::min(images.size(), begin + batchSize);
        std::vector<torch::Tensor> inputs;
        std::vector<std::int64_t> targets;
        for (std::size_t i = begin; i < end; ++i) {
            inputs.push_back(images[i].input);
            targets.push_back(images[i].targetClass);
        }
        const auto explained = explain::explainBatch(model, torch::cat(inputs), settings.methods, settings.explainOptions, registry,
                                                     fixedTargets ? targets : std::vector<std::int64_t>{});
        for (std::size_t i = begin; i < end; ++i)
            onImage(images[i], explained[i - begin]);
    }
}

std::string stabilityCsvText(const RandomisationOutcome& outcome) {
    std::ostringstream out;
    out << "image,method,max_sensitivity,jpeg_spearman,jpeg_ssim,jpeg_top10_iou\n";
    for (const auto& row : outcome.stabilityRows)
        out << csv::field(row.image) << ',' << row.method << ',' << csv::number(row.maxSensitivity) << ','
            << csv::number(row.jpeg.spearman) << ',' << csv::number(row.jpeg.ssim) << ',' << csv::number(row.jpeg.top10Iou) << '\n';
    return out.str();
}

// Means over images per method; NaN values (constant maps) are left out of their mean.
nlohmann::ordered_json stabilitySummary(const RandomisationSettings& settings, const RandomisationOutcome& outcome) {
    nlohmann::ordered_json methods = nlohmann::ordered_json::object();
    for (const auto& method : settings.methods) {
        std::map<std::string, std::pair<double, int>> sums;
        int images = 0;
        for (const auto& row : outcome.stabilityRows) {
            if (row.method != method)
                continue;
            ++images;
            for (const auto& [name, value] : {std::pair<std::string, double>{"max_sensitivity", row.maxSensitivity},
                                              {"jpeg_spearman", row.jpeg.spearman},
                                              {"jpeg_ssim", row.jpeg.ssim},
                                              {"jpeg_top10_iou", row.jpeg.top10Iou}})
                if (!std::isnan(value)) {
                    sums[name].first += value;
                    ++sums[name].second;
                }
        }
        nlohmann::ordered_json means = {{"images", images}};
        for (const char* name : {"max_sensitivity", "jpeg_spearman", "jpeg_ssim", "jpeg_top10_iou"}) {
            const auto& [sum, count] = sums[name];
            means[name] = count ? nlohmann::ordered_json(sum / count) : nlohmann::ordered_json(nullptr);
        }
        methods[method] = means;
    }
    const auto& options = settings.stabilityOptions;
    return {{"samples", options.samples},
            {"radius", options.radius},
            {"jpeg_quality", options.jpegQuality},
            {"seed", settings.seed},
            {"means", methods}};
}

std::string modeName(const RandomisationSettings& settings) {
    return settings.compareCheckpoint.empty() ? std::string(toString(settings.mode)) : "checkpoint";
}

nlohmann::ordered_json summaryJson(const RandomisationSettings& settings, const RandomisationOutcome& outcome,
                                   const model::LoadedVit& trained) {
    const auto number = [](double value) { return std::isnan(value) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value); };
    nlohmann::ordered_json methods = nlohmann::ordered_json::object();
    for (const auto& method : settings.methods)
        methods[method] = nlohmann::ordered_json::array();
    for (const auto& mean : randomisationMeans(settings.methods, outcome))
        methods[mean.method].push_back({{"stage", mean.stage},
                                        {"layer", mean.layer},
                                        {"images", mean.images},
                                        {"spearman", number(mean.similarity.spearman)},
                                        {"ssim", number(mean.similarity.ssim)},
                                        {"top10_iou", number(mean.similarity.top10Iou)}});
    return {{"intermap_version", INTERMAP_VERSION_STRING},
            {"test", "model-parameter randomisation (Adebayo et al. 2018)"},
            {"checkpoint", settings.checkpoint},
            {"model", trained.config.describe()},
            {"mode", modeName(settings)},
            {"compare_checkpoint", settings.compareCheckpoint.empty() ? nlohmann::ordered_json(nullptr)
                                                                      : nlohmann::ordered_json(settings.compareCheckpoint)},
            {"seed", settings.seed},
            {"batch_size", settings.batchSize},
            {"preprocess", std::string(image::toString(settings.recipe))},
            {"image_reading", {{"frame", settings.imageReading.frame}, {"window", image::formatWindowChoice(settings.imageReading.window)}}},
            {"target_class", settings.explainOptions.targetClass ? nlohmann::ordered_json(*settings.explainOptions.targetClass)
                                                                 : nlohmann::ordered_json("predicted")},
            {"groups", outcome.groups},
            {"skipped_images", outcome.skippedImages},
            {"means", methods},
            {"stability", settings.stability ? stabilitySummary(settings, outcome) : nlohmann::ordered_json(nullptr)}};
}

std::string csvText(const RandomisationSettings& settings, const RandomisationOutcome& outcome) {
    std::ostringstream out;
    out << "image,method,mode,stage,layer,spearman,ssim,top10_iou\n";
    for (const auto& row : outcome.rows)
        out << csv::field(row.image) << ',' << row.method << ',' << modeName(settings) << ',' << row.stage << ','
            << csv::field(row.layer) << ',' << csv::number(row.similarity.spearman) << ',' << csv::number(row.similarity.ssim) << ','
            << csv::number(row.similarity.top10Iou) << '\n';
    return out.str();
}

} // namespace

RandomisationMode parseRandomisationMode(std::string_view name) {
    if (name == "cascading")
        return RandomisationMode::Cascading;
    if (name == "independent")
        return RandomisationMode::Independent;
    throw UsageError("unknown randomisation mode '" + std::string(name) + "' (expected 'cascading' or 'independent')");
}

std::string_view toString(RandomisationMode mode) {
    return mode == RandomisationMode::Independent ? "independent" : "cascading";
}

std::vector<RandomisationMean> randomisationMeans(const std::vector<std::string>& methods, const RandomisationOutcome& outcome) {
    std::vector<RandomisationMean> means;
    for (const auto& method : methods) {
        for (int stage = 0; stage <= static_cast<int>(outcome.groups.size()); ++stage) {
            RandomisationMean mean{method, stage, {}, 0, {0.0, 0.0, 0.0}};
            int spearmanCount = 0;
            for (const auto& row : outcome.rows) {
                if (row.method != method || row.stage != stage)
                    continue;
                mean.layer = row.layer;
                ++mean.images;
                mean.similarity.ssim += row.similarity.ssim;
                mean.similarity.top10Iou += row.similarity.top10Iou;
                if (!std::isnan(row.similarity.spearman)) {
                    mean.similarity.spearman += row.similarity.spearman;
                    ++spearmanCount;
                }
            }
            if (mean.images == 0)
                continue;
            mean.similarity.spearman = spearmanCount ? mean.similarity.spearman / spearmanCount : std::nan("");
            mean.similarity.ssim /= mean.images;
            mean.similarity.top10Iou /= mean.images;
            means.push_back(std::move(mean));
        }
    }
    return means;
}

RandomisationOutcome runRandomisationTest(const RandomisationSettings& settings, const explain::ExplainerRegistry& registry,
                                          const ProgressSink& progress) {
    validate(settings, registry);
    fs::create_directories(settings.outDir); // the table is written even when no image could be read
    const model::ModelOpenOptions openOptions{settings.heads, settings.imageSize};
    // The trained model: the checkpoint as read, with the run's input normalisation; every
    // re-initialised stage starts from a copy of it.
    model::LoadedVit trained = model::loadVit(settings.checkpoint, openOptions);
    if (settings.normalisation)
        trained.normalisation = *settings.normalisation;
    RandomisationOutcome outcome;
    outcome.mapSide = static_cast<int>(trained.config.imageSize);
    const bool comparesCheckpoints = !settings.compareCheckpoint.empty();
    outcome.groups = comparesCheckpoints ? std::vector<std::string>{settings.compareCheckpoint}
                                         : model::randomisationGroups(trained.config);
    const int stages = static_cast<int>(outcome.groups.size());
    const std::int64_t total = static_cast<std::int64_t>(settings.images.size()) * (stages + 1 + (settings.stability ? 1 : 0));
    std::int64_t done = 0;
    const auto report = [&](const std::string& message, UnitKind kind) {
        ++done;
        if (progress && !progress(ProgressStep{done, total, message, kind}))
            throw Cancelled();
    };

    // Stage 0: the trained model fixes each image's target class and the reference maps.
    std::vector<PreparedImage> images;
    for (const auto& path : settings.images) {
        try {
            PreparedImage prepared{path, util::imageFileStem(path), {}, {}, 0, {}};
            prepared.rgb8 = image::preprocessRgb8(image::readImageRgb8(path, settings.imageReading), settings.recipe,
                                                  static_cast<int>(trained.config.imageSize));
            prepared.input = image::toNormalizedTensor(prepared.rgb8, trained.normalisation);
            images.push_back(std::move(prepared));
        } catch (const ImageError& error) {
            outcome.skippedImages.push_back(error.what());
            report(std::string(error.what()) + " (skipped)", UnitKind::Skipped);
        }
    }
    forEachBatch(trained, images, settings, registry, /*fixedTargets=*/false, [&](PreparedImage& image, const explain::ImageExplanations& explained) {
        image.targetClass = explained.targetClass;
        for (const auto& explanation : explained.maps)
            image.trainedMaps.push_back(writeMap(mapFile(settings.outDir, 0, explanation.method, image.stem), explanation.map));
        report("stage 0 (trained): " + image.path, UnitKind::Computed);
    });
    if (settings.stability)
        for (const auto& image : images) {
            measureImageStability(settings, trained, registry, image, outcome);
            report("stability (" + std::to_string(settings.stabilityOptions.samples) + " perturbations, JPEG q" +
                       std::to_string(settings.stabilityOptions.jpegQuality) + "): " + image.path,
                   UnitKind::Computed);
        }

    // rows[image][method] per stage, gathered stage-major (one model per stage), written image-major.
    std::vector<std::vector<std::vector<RandomisationRow>>> rows(
        images.size(), std::vector<std::vector<RandomisationRow>>(settings.methods.size()));
    const int side = static_cast<int>(trained.config.imageSize);
    const auto compare = [&](const PreparedImage& image, std::size_t m, int stage, const std::string& layer, const std::vector<float>& map) {
        const MapView reference(image.trainedMaps[m], side, side);
        rows[static_cast<std::size_t>(&image - images.data())][m].push_back(
            {image.path, settings.methods[m], stage, layer, compareMaps(reference, MapView(map, side, side))});
    };
    for (const auto& image : images)
        for (std::size_t m = 0; m < settings.methods.size(); ++m)
            compare(image, m, 0, "none", image.trainedMaps[m]);

    for (int stage = 1; stage <= stages; ++stage) {
        // Re-initialisation changes a copy of the model read once (a ViT-B checkpoint took ~1 s per stage to read).
        model::LoadedVit randomised = comparesCheckpoints ? model::loadVit(settings.compareCheckpoint, openOptions) : model::copyVit(trained);
        if (comparesCheckpoints) {
            if (settings.normalisation)
                randomised.normalisation = *settings.normalisation;
            if (randomised.config.imageSize != trained.config.imageSize || randomised.config.numClasses != trained.config.numClasses)
                throw UsageError(settings.compareCheckpoint + " is a " + randomised.config.describe() + ", " + settings.checkpoint +
                                 " a " + trained.config.describe() + ": maps to compare need the same input size and classes");
        } else {
            const int first = settings.mode == RandomisationMode::Cascading ? 0 : stage - 1;
            for (int group = first; group < stage; ++group)
                model::reinitialiseGroup(randomised.model, outcome.groups[static_cast<std::size_t>(group)], settings.seed);
        }
        const std::string& layer = outcome.groups[static_cast<std::size_t>(stage - 1)];
        forEachBatch(randomised, images, settings, registry, /*fixedTargets=*/true,
                     [&](PreparedImage& image, const explain::ImageExplanations& explained) {
                         for (std::size_t m = 0; m < explained.maps.size(); ++m)
                             compare(image, m, stage, layer,
                                     writeMap(mapFile(settings.outDir, stage, explained.maps[m].method, image.stem), explained.maps[m].map));
                         report(comparesCheckpoints ? "other checkpoint " + layer + ": " + image.path
                                                    : "stage " + std::to_string(stage) + "/" + std::to_string(stages) + " (" + layer +
                                                          " re-initialised" +
                                                          (settings.mode == RandomisationMode::Cascading ? " and every group above" : "") +
                                                          "): " + image.path,
                                UnitKind::Computed);
                     });
    }

    for (auto& perImage : rows)
        for (auto& perMethod : perImage)
            for (auto& row : perMethod)
                outcome.rows.push_back(std::move(row));
    intermap::writeFileAtomically((fs::path(settings.outDir) / "randomization.csv").string(), csvText(settings, outcome));
    if (settings.stability)
        intermap::writeFileAtomically((fs::path(settings.outDir) / "stability.csv").string(), stabilityCsvText(outcome));
    intermap::writeFileAtomically((fs::path(settings.outDir) / "summary.json").string(), summaryJson(settings, outcome, trained).dump(2) + "\n");
    return outcome;
}

std::vector<std::string> randomisationStageTitles(const std::vector<std::string>& groups, std::string_view mode, const std::string& first) {
    std::vector<std::string> titles{first};
    for (const auto& group : groups)
        titles.push_back(mode == toString(RandomisationMode::Cascading) && group != groups.front() ? "+ " + group : group);
    return titles;
}

std::vector<ReportCurveChart> randomisationCurves(const std::vector<std::string>& methods, const std::vector<RandomisationMean>& means,
                                                  const std::vector<std::string>& stageTitles, std::string_view mode) {
    const std::pair<const char*, double MapSimilarity::*> measures[] = {{"Spearman", &MapSimilarity::spearman},
                                                                        {"SSIM", &MapSimilarity::ssim},
                                                                        {"Top-10 % IoU", &MapSimilarity::top10Iou}};
    std::vector<ReportCurveChart> charts;
    for (const auto& [name, member] : measures) {
        ReportCurveChart chart;
        chart.title = std::string(name) + " with the trained model's map";
        chart.xTitle = mode == "checkpoint" ? "model" : "re-initialised from the top (" + std::string(mode) + ")";
        chart.yTitle = "mean over the images";
        for (std::size_t stage = 0; stage < stageTitles.size(); ++stage)
            chart.x.push_back(static_cast<double>(stage));
        chart.xLabels = stageTitles;
        for (const auto& method : methods) {
            ReportCurveChart::Curve curve{method, std::vector<double>(stageTitles.size(), std::nan(""))};
            for (const auto& mean : means)
                if (mean.method == method && mean.stage >= 0 && static_cast<std::size_t>(mean.stage) < stageTitles.size())
                    curve.y[static_cast<std::size_t>(mean.stage)] = mean.similarity.*member;
            chart.curves.push_back(std::move(curve));
        }
        charts.push_back(std::move(chart));
    }
    return charts;
}

RandomisationFigure randomisationFigure(const RandomisationSettings& settings, const RandomisationOutcome& outcome) {
    RandomisationFigure figure;
    const bool comparesCheckpoints = !settings.compareCheckpoint.empty();
    const std::string mode = modeName(settings);
    figure.columnTitles = randomisationStageTitles(outcome.groups, mode, comparesCheckpoints ? settings.checkpoint : "trained");
    figure.rowLabels = settings.methods;
    const int stages = static_cast<int>(outcome.groups.size());
    figure.curves = randomisationCurves(settings.methods, randomisationMeans(settings.methods, outcome), figure.columnTitles, mode);
    if (outcome.rows.empty())
        return figure;

    // The strip: the first image that was read.
    const std::string& imagePath = outcome.rows.front().image;
    const std::string stem = util::imageFileStem(imagePath);
    figure.title = comparesCheckpoints ? "Maps of two models, the right one compared with the left one: " + fs::path(imagePath).filename().string()
                                       : "Model-parameter randomisation (" + std::string(toString(settings.mode)) + ", seed " +
                                             std::to_string(settings.seed) + "): " + fs::path(imagePath).filename().string();
    figure.side = outcome.mapSide;
    const cv::Mat rgb = image::preprocessRgb8(image::readImageRgb8(imagePath, settings.imageReading), settings.recipe, figure.side);
    const cv::Mat packed = rgb.isContinuous() ? rgb : rgb.clone();
    figure.rgb.assign(packed.data, packed.data + packed.total() * packed.elemSize());
    for (const auto& method : settings.methods) {
        std::vector<std::vector<float>> row;
        for (int stage = 0; stage <= stages; ++stage) {
            const std::string path = mapFile(settings.outDir, stage, method, stem);
            const std::vector<float> stored = npy::readFloat32(path, {figure.side, figure.side});
            row.push_back(scoringMap(MapView(stored, figure.side, figure.side), path));
        }
        figure.maps.push_back(std::move(row));
    }
    return figure;
}

} // namespace intermap::eval
