// intermap-cli explain: maps for images, one .npy per method and image.
#include "cli_support.h"
#include "commands.h"

#include "intermap/explain/explainer.h"
#include "intermap/explain/precision_check.h"
#include "intermap/image/image_io.h"
#include "intermap/image/map_geometry.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/vit.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/npy.h"
#include "intermap/util/name_characters.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSet>

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace intermap::cli {
namespace {

// Images explained together in one pass by default (BENCHMARKS.md, "The study's trio as a whole
// process": what batching buys and costs in memory).
constexpr int kDefaultExplainBatchSize = 1;

void printError(const std::string& message) { std::fprintf(stderr, "intermap-cli explain: %s\n", message.c_str()); }

std::optional<std::int64_t> parseNonNegative(const QString& text) {
    bool ok = false;
    const qlonglong value = text.toLongLong(&ok);
    if (!ok || value < 0)
        return std::nullopt;
    return value;
}

struct ExplainJob {
    std::string checkpoint;
    std::vector<std::string> methods;
    explain::ExplainOptions options;
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize;
    image::MapGeometry mapGeometry = image::MapGeometry::Model;
    bool checkPrecision = false;
    image::ImageReadOptions readOptions;                 // DICOM frame and window
    std::optional<std::int64_t> heads;
    std::optional<std::int64_t> imageSize;               // default: the checkpoint's native size
    std::optional<model::Normalisation> normalisation;   // default: the checkpoint's
    QString out;
    bool outIsSingleFile = false;
    QStringList images;
    int batchSize = kDefaultExplainBatchSize;
};

// One image read and prepared for the model.
struct PreparedImage {
    QString path;
    cv::Mat original;    // RGB8 as read, for --map-geometry original
    torch::Tensor input; // [1,3,S,S] normalised
};

QString mapPath(const ExplainJob& job, const std::string& method, const QString& image) {
    if (job.outIsSingleFile)
        return job.out;
    return QDir(job.out).filePath(QString::fromStdString(method) + QLatin1Char('/') +
                                  QString::fromStdString(util::imageFileStem(image.toStdString())) + QStringLiteral(".npy"));
}

// The map on the original grid beside its model-grid file: X.npy -> X.original.npy / .original.png.
QString originalGridPath(const QString& modelGridPath, const char* extension) {
    return modelGridPath.chopped(4) + QStringLiteral(".original.") + QLatin1String(extension);
}

// What a failure on one image means for the run: an unreadable image is reported and skipped
// (exit 3 at the end), anything else ends the run. Call from a catch block.
std::optional<int> failureOutcome(const QString& imagePath, int& skipped) {
    try {
        throw;
    } catch (const ImageError& error) {
        printError(std::string(error.what()) + " (skipped)");
        ++skipped;
        return std::nullopt;
    } catch (const UsageError& error) {
        printError(error.what());
        return ExitUsage;
    } catch (const Error& error) {
        printError(error.what());
        return ExitFailure;
    } catch (const std::exception& error) {
        printError(imagePath.toStdString() + ": " + util::userMessage(error));
        return ExitFailure;
    }
}

PreparedImage prepareImage(const ExplainJob& job, const model::LoadedVit& vit, const QString& imagePath) {
    // Its stem names its map files (a single --out FILE.npy is named by the user).
    if (const std::string problem = util::controlCharacterProblem("its stem", util::imageFileStem(imagePath.toStdString()));
        !job.outIsSingleFile && !problem.empty())
        throw ImageError(util::escapeControlCharacters(imagePath.toStdString()), problem);
    PreparedImage image;
    image.path = imagePath;
    image.original = image::readImageRgb8(imagePath.toStdString(), job.readOptions);
    image.input = image::toNormalizedTensor(
        image::preprocessRgb8(image.original, job.recipe, static_cast<int>(vit.config.imageSize)), vit.normalisation);
    return image;
}

// Writes one image's maps and prints its line (and, if asked, its precision check).
void writeExplanations(const ExplainJob& job, const model::LoadedVit& vit, const explain::ExplainerRegistry& registry,
                       const PreparedImage& image, const explain::ImageExplanations& result, int index) {
    auto className = [&](std::int64_t classIndex) {
        return classIndex >= 0 && classIndex < static_cast<std::int64_t>(vit.classNames.size())
                   ? " (" + vit.classNames[static_cast<std::size_t>(classIndex)] + ")"
                   : std::string();
    };
    QStringList written;
    for (const auto& explanation : result.maps) {
        const QString path = mapPath(job, explanation.method, image.path);
        const QString directory = QFileInfo(path).absolutePath();
        if (!QDir().mkpath(directory))
            throw Error(directory.toStdString() + ": cannot create the output directory");
        const torch::Tensor map = explanation.map.contiguous();
        npy::writeFloat32(path.toStdString(), map.data_ptr<float>(), {map.size(0), map.size(1)});
        written << path;
        if (job.mapGeometry == image::MapGeometry::Original) {
            const cv::Mat modelGrid(static_cast<int>(map.size(0)), static_cast<int>(map.size(1)), CV_32FC1,
                                    map.data_ptr<float>());
            const cv::Mat onOriginal = image::mapOnOriginalGrid(modelGrid, image.original.size(), job.recipe);
            const QString npyPath = originalGridPath(path, "npy");
            const QString pngPath = originalGridPath(path, "png");
            npy::writeFloat32(npyPath.toStdString(), onOriginal.ptr<float>(), {onOriginal.rows, onOriginal.cols});
            const auto png = image::encodeMapAs16BitPng(onOriginal);
            intermap::writeFileAtomically(pngPath.toStdString(),
                                          std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
            written << npyPath << pngPath;
        }
    }
    const auto probabilities = torch::softmax(result.logits, 0);
    std::printf("[%d/%d] %s: predicted class %lld%s (p=%.3f), target class %lld%s -> %s\n", index + 1,
                int(job.images.size()), qPrintable(image.path), static_cast<long long>(result.predictedClass),
                className(result.predictedClass).c_str(), probabilities[result.predictedClass].item<double>(),
                static_cast<long long>(result.targetClass), className(result.targetClass).c_str(),
                qPrintable(written.join(QStringLiteral(", "))));
    if (job.checkPrecision) {
        // The target the maps above used, so that the check concerns the map written.
        explain::ExplainOptions checked = job.options;
        checked.targetClass = result.targetClass;
        const double drift = explain::cheferPrecisionDrift(vit, image.input, checked, registry);
        std::printf("  chefer precision: max |float32 - float64| = %.4g of the map's range (%s)\n", drift,
                    drift > explain::kCheferDriftWarning ? "DRIFT: the float32 map differs visibly; use float64"
                                                          : "float32 within 1% of float64");
    }
    std::fflush(stdout);
}

} // namespace

int runExplain(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Compute interpretability maps of a ViT classifier for images.\n"
                       "Maps are float32 NxN .npy files (C order; N = the model's input size, 224 for the study's models),\n"
                       "higher = more important, written to\n"
                       "OUT/<method>/<image-stem>.npy, or to OUT itself when it ends in .npy (one image, one method).\n"
                       "With --map-geometry original, each map is also written on the original image's pixel grid\n"
                       "(resize undone by bilinear interpolation, a centre crop put back with NaN outside it) as float32\n"
                       "<image-stem>.original.npy (rows x columns of the image) and a 16-bit <image-stem>.original.png\n"
                       "(finite values min-max to 0..65535, NaN as 0), to overlay on the scan in 3D Slicer or ITK-SNAP.\n"
                       "Exit codes: 0 success, 1 failure, 2 usage error, 3 some images skipped (the rest written)."));
    parser.addHelpOption();
    const QCommandLineOption checkpointOption(QStringLiteral("checkpoint"),
                                              QStringLiteral("A ViT checkpoint (.pth, .pt, .bin, .ckpt, .safetensors) or Hugging Face folder; "
                                                             "see 'intermap-cli inspect'."),
                                              QStringLiteral("FILE"));
    const QCommandLineOption methodOption(
        {QStringLiteral("method"), QStringLiteral("methods")},
        QStringLiteral("Comma-separated methods: %1.").arg(QString::fromStdString([] {
            std::string names;
            for (const auto& name : explain::ExplainerRegistry::withBuiltinMethods().names())
                names += (names.empty() ? "" : ", ") + name;
            return names;
        }())),
        QStringLiteral("LIST"));
    const QCommandLineOption targetOption(QStringLiteral("target-class"),
                                          QStringLiteral("Class to explain (default: the predicted class)."),
                                          QStringLiteral("N"));
    const QCommandLineOption augSmoothOption(QStringLiteral("aug-smooth"),
                                             QStringLiteral("Grad-CAM: average 6 augmented passes (flip x 0.9/1.0/1.1)."));
    const QCommandLineOption eigenSmoothOption(QStringLiteral("eigen-smooth"),
                                               QStringLiteral("Grad-CAM: first principal component of the activations."));
    const QCommandLineOption eigenSignOption = cli::eigenSignOption(explain::EigenSign::AsSvdReturns);
    const QCommandLineOption precisionOption = cli::precisionOption();
    const QCommandLineOption preprocessOption(
        QStringLiteral("preprocess"),
        QStringLiteral("resize (to 224x224, Pillow bilinear; CP-CHILD, DUKE) or center-crop (224, no resize; Kvasir, MURA). "
                       "Default: resize."),
        QStringLiteral("RECIPE"), QStringLiteral("resize"));
    const QCommandLineOption headsOption = cli::headsOption();
    const QCommandLineOption imageSizeOption = cli::imageSizeOption();
    const QCommandLineOption meanOption = cli::meanOption();
    const QCommandLineOption stdOption = cli::stdOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output directory, or a .npy file."),
                                       QStringLiteral("PATH"));
    const QCommandLineOption mapGeometryOption(
        QStringLiteral("map-geometry"),
        QStringLiteral("model (maps on the model's input grid) or original (also on the original image's grid). Default: model."),
        QStringLiteral("GRID"), QStringLiteral("model"));
    const QCommandLineOption checkPrecisionOption(
        QStringLiteral("check-precision"),
        QStringLiteral("Also compute Chefer's map in float32 and float64 and print, per image, the largest difference as a "
                       "fraction of the map's range (above %1: the study's float32 map is visibly another map).")
            .arg(explain::kCheferDriftWarning));
    const QCommandLineOption frameOption = cli::frameOption();
    const QCommandLineOption windowOption = cli::windowOption();
    const QCommandLineOption batchOption(
        QStringLiteral("batch-size"),
        QStringLiteral("Images explained together in one pass (default %1; 1 uses the least memory).")
            .arg(kDefaultExplainBatchSize),
        QStringLiteral("N"), QString::number(kDefaultExplainBatchSize));
    parser.addOptions({checkpointOption, methodOption, targetOption, augSmoothOption, eigenSmoothOption,
                       eigenSignOption, precisionOption, checkPrecisionOption, preprocessOption, headsOption, imageSizeOption,
                       meanOption, stdOption, frameOption, windowOption, mapGeometryOption, batchOption, outOption});
    parser.addPositionalArgument(QStringLiteral("IMAGE"), QStringLiteral("Images (PNG, JPEG, BMP, TIFF, DICOM)."),
                                 QStringLiteral("IMAGE..."));

    if (const auto exitNow = parseOrHelp(parser, arguments, "explain"))
        return *exitNow;

    ExplainJob job;
    if (!parser.isSet(checkpointOption))
        return usageError("explain", QStringLiteral("--checkpoint FILE is required"));
    if (!parser.isSet(methodOption))
        return usageError("explain", QStringLiteral("--method LIST is required"));
    if (!parser.isSet(outOption))
        return usageError("explain", QStringLiteral("--out PATH is required"));
    job.images = parser.positionalArguments();
    if (job.images.isEmpty())
        return usageError("explain", QStringLiteral("no IMAGE given"));
    job.checkpoint = parser.value(checkpointOption).toStdString();
    job.out = parser.value(outOption);
    bool batchOk = false;
    job.batchSize = parser.value(batchOption).toInt(&batchOk);
    if (!batchOk || job.batchSize < 1)
        return usageError("explain", QStringLiteral("--batch-size must be an integer >= 1, got '%1'").arg(parser.value(batchOption)));

    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    for (const QString& value : parser.values(methodOption))
        for (const QString& name : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const std::string method = name.trimmed().toStdString();
            try {
                registry.create(method); // throws UsageError naming the available methods
            } catch (const UsageError& error) {
                return usageError("explain", QString::fromStdString(error.what()));
            }
            if (std::find(job.methods.begin(), job.methods.end(), method) == job.methods.end())
                job.methods.push_back(method);
        }
    if (job.methods.empty())
        return usageError("explain", QStringLiteral("--method needs at least one method name"));

    if (parser.isSet(targetOption)) {
        const auto target = parseNonNegative(parser.value(targetOption));
        if (!target)
            return usageError("explain", QStringLiteral("--target-class must be a class index >= 0, got '%1'").arg(parser.value(targetOption)));
        job.options.targetClass = *target;
    }
    QString optionError;
    if (!parseHeads(parser, headsOption, &job.heads, &optionError) ||
        !parseImageReadOptions(parser, frameOption, windowOption, &job.readOptions, &optionError) ||
        !parseModelInputOptions(parser, imageSizeOption, meanOption, stdOption, &job.imageSize, &job.normalisation,
                                &optionError))
        return usageError("explain", optionError);
    job.options.augSmooth = parser.isSet(augSmoothOption);
    job.checkPrecision = parser.isSet(checkPrecisionOption);
    job.options.eigenSmooth = parser.isSet(eigenSmoothOption);
    const auto eigenSign = parseEigenSignValue(parser.value(eigenSignOption), &optionError);
    if (!eigenSign)
        return usageError("explain", optionError);
    job.options.eigenSign = *eigenSign;
    const auto precision = parsePrecisionValue(parser.value(precisionOption), &optionError);
    if (!precision)
        return usageError("explain", optionError);
    job.options.cheferPrecision = *precision;
    try {
        job.recipe = image::parsePreprocessRecipe(parser.value(preprocessOption).toStdString());
        job.mapGeometry = image::parseMapGeometry(parser.value(mapGeometryOption).toStdString());
    } catch (const Error& error) {
        return usageError("explain", QString::fromStdString(error.what()));
    }

    job.outIsSingleFile = job.out.endsWith(QStringLiteral(".npy"), Qt::CaseInsensitive);
    if (job.outIsSingleFile && (job.images.size() != 1 || job.methods.size() != 1))
        return usageError("explain", QStringLiteral("--out %1 is a single .npy file: give exactly one image and one method "
                                         "(or a directory for several)")
                              .arg(job.out));
    QHash<QString, QString> imageByStem;
    for (const QString& image : job.images) {
        const QString stem = QString::fromStdString(util::imageFileStem(image.toStdString()));
        if (imageByStem.contains(stem))
            return usageError("explain", QStringLiteral("'%1' and '%2' have the same stem '%3' and would write the same map file")
                                  .arg(imageByStem.value(stem), image, stem));
        imageByStem.insert(stem, image);
    }

    model::LoadedVit vit;
    try {
        vit = model::loadVit(job.checkpoint, model::ModelOpenOptions{job.heads, job.imageSize});
    } catch (const UsageError& error) {
        return usageError("explain", QString::fromStdString(error.what()));
    } catch (const Error& error) {
        printError(error.what());
        return ExitFailure;
    } catch (const std::exception& error) {
        printError(job.checkpoint + ": " + util::userMessage(error));
        return ExitFailure;
    }
    for (const auto& warning : vit.warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    if (job.options.targetClass && *job.options.targetClass >= vit.config.numClasses)
        return usageError("explain", QStringLiteral("--target-class %1 is out of range: %2 has %3 classes")
                              .arg(*job.options.targetClass)
                              .arg(QString::fromStdString(job.checkpoint))
                              .arg(vit.config.numClasses));
    if (job.normalisation)
        vit.normalisation = *job.normalisation;
    std::fprintf(stderr, "%s: %s, %s layout, input normalised with %s\n", job.checkpoint.c_str(),
                 vit.config.describe().c_str(), vit.family.layout.c_str(), vit.normalisation.source.c_str());
    for (const auto& note : vit.family.notes)
        std::fprintf(stderr, "note: %s\n", note.c_str());
    // `batchSize` images at a time: read (an unreadable one is reported and skipped), explained
    // in one pass, written in order.
    int skipped = 0;
    const int imageCount = static_cast<int>(job.images.size());
    for (int first = 0; first < imageCount; first += job.batchSize) {
        std::vector<PreparedImage> batch;
        std::vector<int> indices;
        for (int index = first; index < std::min(first + job.batchSize, imageCount); ++index) {
            try {
                batch.push_back(prepareImage(job, vit, job.images.at(index)));
                indices.push_back(index);
            } catch (...) {
                if (const auto exitCode = failureOutcome(job.images.at(index), skipped))
                    return *exitCode;
            }
        }
        if (batch.empty())
            continue;
        try {
            std::vector<torch::Tensor> inputs;
            for (const auto& image : batch)
                inputs.push_back(image.input);
            const auto results = explain::explainBatch(vit, torch::cat(inputs), job.methods, job.options, registry);
            for (std::size_t b = 0; b < batch.size(); ++b)
                writeExplanations(job, vit, registry, batch[b], results[b], indices[b]);
        } catch (...) {
            if (const auto exitCode = failureOutcome(batch.front().path, skipped))
                return *exitCode;
        }
    }
    if (skipped > 0) {
        std::fprintf(stderr, "intermap-cli explain: %d of %d images skipped\n", skipped, int(job.images.size()));
        return ExitPartialFailure;
    }
    return ExitSuccess;
}

} // namespace intermap::cli
