#include "sanity_figure.h"

#include "render/figure.h"
#include "render/mat_image.h"

#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/npy.h"

#include <filesystem>

namespace intermap::cli {
namespace fs = std::filesystem;

void writeRandomisationFigure(const eval::RandomisationSettings& settings, const eval::RandomisationOutcome& outcome) {
    if (outcome.rows.empty())
        return;
    const std::string imagePath = outcome.rows.front().image;
    const std::string stem = util::imageFileStem(imagePath);
    const std::string firstMap = (fs::path(settings.outDir) / "maps" / "stage0" / settings.methods.front() / (stem + ".npy")).string();
    const npy::Array probe = npy::read(firstMap);
    const int side = static_cast<int>(probe.shape.at(0));
    const QImage image = render::rgbMatToImage(
        image::preprocessRgb8(image::readImageRgb8(imagePath, settings.imageReading), settings.recipe, side));
    QStringList columns{settings.compareCheckpoint.empty() ? QStringLiteral("trained") : QString::fromStdString(settings.checkpoint)};
    for (const auto& group : outcome.groups)
        columns << (settings.mode == eval::RandomisationMode::Cascading && group != outcome.groups.front()
                        ? QStringLiteral("+ ") + QString::fromStdString(group)
                        : QString::fromStdString(group));
    std::vector<std::vector<render::FigureCell>> rows;
    QStringList labels;
    for (const auto& method : settings.methods) {
        std::vector<render::FigureCell> row;
        for (int stage = 0; stage <= static_cast<int>(outcome.groups.size()); ++stage) {
            const std::string path = (fs::path(settings.outDir) / "maps" / ("stage" + std::to_string(stage)) / method / (stem + ".npy")).string();
            const auto stored = npy::readFloat32(path, {side, side});
            row.push_back({image, eval::scoringMap(eval::MapView(stored, side, side), path), QImage()});
        }
        rows.push_back(std::move(row));
        labels << QString::fromStdString(method);
    }
    render::FigureOptions options;
    options.columnTitles = columns;
    options.rowLabels = labels;
    options.cellSize = 120;
    const QString imageName = QString::fromStdString(fs::path(imagePath).filename().string());
    options.title = settings.compareCheckpoint.empty()
                        ? QStringLiteral("Model-parameter randomisation (%1, seed %2): %3")
                              .arg(QString::fromStdString(std::string(eval::toString(settings.mode))))
                              .arg(settings.seed)
                              .arg(imageName)
                        : QStringLiteral("Maps of two models, the right one compared with the left one: %1")
                              .arg(imageName);
    const std::string out = (fs::path(settings.outDir) / "randomization.png").string();
    if (!render::saveFigure(render::renderExplanationGrid(rows, options), QString::fromStdString(out)))
        throw Error(out + ": cannot write the figure");
}

} // namespace intermap::cli
