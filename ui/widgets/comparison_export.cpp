#include "widgets/comparison_export.h"

#include "render/figure.h"
#include "model/failure_text.h"
#include "widgets/comparison_controller.h"

#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace intermap::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("intermap::ui::ComparisonExport", text);
}

QString nothingShownYet() {
    return tr("Nothing to export yet: wait until every map is shown");
}

} // namespace

bool exportComparisonFigure(const ComparisonController& controller, const PanelDisplay& display, const QString& rowLabel,
                            const QString& path, int dpi, QString* error) {
    if (!controller.everyPanelShown()) {
        *error = nothingShownYet();
        return false;
    }
    std::vector<render::FigureCell> row;
    const QImage image = controller.currentImage();
    const QImage mask = display.showOutline ? controller.currentMask() : QImage();
    row.push_back({image, {}, mask});
    for (const auto& map : controller.panelMaps())
        row.push_back({image, map, mask});
    render::FigureOptions options;
    options.columnTitles = controller.panelTitles();
    options.colourMap = display.colourMap;
    options.overlayAlpha = display.opacity;
    options.rowLabels = QStringList{rowLabel};
    options.scale = std::max(0.25, dpi / 96.0);
    options.cellSize = 200;
    try {
        const QString suffix = QFileInfo(path).suffix().toLower();
        bool ok = false;
        if (suffix == QLatin1String("svg"))
            ok = render::saveFigureVector({row}, options, path, render::VectorFormat::Svg);
        else if (suffix == QLatin1String("pdf"))
            ok = render::saveFigureVector({row}, options, path, render::VectorFormat::Pdf);
        else if (suffix == QLatin1String("png"))
            ok = render::saveFigure(render::renderExplanationGrid({row}, options), path);
        else {
            *error = tr("%1: choose a .png, .svg or .pdf file name").arg(path);
            return false;
        }
        if (!ok)
            *error = tr("%1 could not be written (folder missing or not writable?)").arg(path);
        return ok;
    } catch (const std::exception& exception) {
        *error = tr("%1: %2").arg(path, failureText(exception));
        return false;
    }
}

QStringList exportComparisonMaps(const ComparisonController& controller, const QString& imageStem, const QString& folder,
                                 QString* error) {
    QStringList written;
    if (!controller.everyPanelShown()) {
        *error = nothingShownYet();
        return written;
    }
    const QStringList titles = controller.panelTitles();
    const auto maps = controller.panelMaps();
    const std::int64_t side = controller.currentImage().width(); // the maps' frame
    for (std::size_t i = 0; i < maps.size(); ++i) {
        QString name = titles.value(static_cast<int>(i) + 1);
        name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
        const QString path = QDir(folder).filePath(imageStem + QLatin1Char('_') + name + QStringLiteral(".npy"));
        try {
            if (static_cast<std::int64_t>(maps[i].size()) != side * side)
                throw Error(path.toStdString() + ": the map has " + std::to_string(maps[i].size()) +
                            " values, not the image's " + std::to_string(side) + " x " + std::to_string(side));
            npy::writeFloat32(path.toStdString(), maps[i].data(), {side, side});
            written << path;
        } catch (const std::exception& exception) {
            *error = failureText(exception);
            return written;
        }
    }
    return written;
}

} // namespace intermap::ui
