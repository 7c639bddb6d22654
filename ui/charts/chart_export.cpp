#include "charts/chart_export.h"

#include "charts/chart_widget.h"
#include "charts/training_curves.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QImageWriter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>

namespace intermap::charts {
namespace {

struct PlotPlacement {
    QCustomPlot* plot;
    QRect rect; // in the exported page, logical pixels
};

// Where each QCustomPlot of `chart` goes on a page of `size`; empty for an unsupported widget.
QVector<PlotPlacement> placePlots(QWidget* chart, const QSize& size) {
    if (auto* single = qobject_cast<ChartWidget*>(chart))
        return {{single->plot(), QRect(QPoint(0, 0), size)}};
    if (auto* training = qobject_cast<TrainingCurves*>(chart)) {
        training->replotNow(); // its axis ranges follow the data only on a (throttled) replot
        QCustomPlot* metrics = training->metricsPlot();
        QCustomPlot* rate = training->learningRatePlot();
        int rateHeight = 0, gap = 2;
        if (chart->isVisible() && size == chart->size()) {
            rateHeight = rate->height();
            gap = rate->y() - metrics->geometry().bottom() - 1;
        } else {
            // TrainingCurves' layout: 3:1 stretch, the learning-rate strip at most 130 px.
            rateHeight = std::min(rate->maximumHeight(), (size.height() - gap) / 4);
        }
        const int metricsHeight = size.height() - gap - rateHeight;
        return {{metrics, QRect(0, 0, size.width(), metricsHeight)},
                {rate, QRect(0, metricsHeight + gap, size.width(), rateHeight)}};
    }
    return {};
}

// Draws the plots with QCustomPlot's own painter path: vector primitives and real text (no pixmap
// buffers, no cached label pixmaps), widths-0 pens made 1 unit so they scale with the page.
void paintPlots(QPaintDevice* target, const QVector<PlotPlacement>& placements, bool vector, double scale,
                const QRect& window) {
    QCPPainter painter;
    painter.begin(target);
    painter.setMode(QCPPainter::pmNoCaching);
    painter.setMode(QCPPainter::pmNonCosmetic);
    if (vector)
        painter.setMode(QCPPainter::pmVectorized);
    if (window.isValid())
        painter.setWindow(window);
    if (scale != 1.0)
        painter.scale(scale, scale);
    painter.fillRect(QRect(QPoint(0, 0), window.isValid() ? window.size() : QSize(target->width(), target->height())),
                     Qt::white);
    for (const PlotPlacement& placement : placements) {
        painter.save();
        painter.translate(placement.rect.topLeft());
        placement.plot->toPainter(&painter, placement.rect.width(), placement.rect.height());
        painter.restore();
    }
    painter.end();
}

} // namespace

bool saveChart(QWidget* chart, const QString& path, QString* error, double scale, QSize size) {
    auto fail = [&](const QString& reason) {
        if (error)
            *error = QObject::tr("cannot save chart to %1: %2").arg(QDir::toNativeSeparators(path), reason);
        return false;
    };
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf"))
        return fail(QObject::tr("unknown file type \"%1\" (expected .png, .svg or .pdf)")
                        .arg(suffix.isEmpty() ? QObject::tr("no suffix") : QLatin1Char('.') + suffix));
    if (!chart)
        return fail(QObject::tr("no chart given"));
    if (!(scale > 0.0 && scale <= 10.0))
        return fail(QObject::tr("scale %1 is outside (0, 10]").arg(scale));
    const QDir folder = QFileInfo(path).absoluteDir();
    if (!folder.exists())
        return fail(QObject::tr("the folder %1 does not exist").arg(QDir::toNativeSeparators(folder.absolutePath())));

    if (size.isEmpty()) {
        // A widget that was never shown nor sized has Qt's placeholder size, not a chart's.
        size = chart->isVisible() || chart->testAttribute(Qt::WA_Resized) ? chart->size() : QSize(800, 500);
    }
    if (size.width() < 50 || size.height() < 50 || size.width() > 20000 || size.height() > 20000)
        return fail(QObject::tr("size %1x%2 is outside 50..20000 pixels").arg(size.width()).arg(size.height()));

    const QVector<PlotPlacement> placements = placePlots(chart, size);
    if (placements.isEmpty())
        return fail(QObject::tr("unsupported widget %1 (expected GroupedBarChart, CurveChart or TrainingCurves)")
                        .arg(QString::fromLatin1(chart->metaObject()->className())));

    // Fonts are in points; layout measures them at the screen's resolution, so every target
    // device draws them at that same resolution and the text fits the boxes computed for it.
    const int dpi = chart->logicalDpiY() > 0 ? chart->logicalDpiY() : 96;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    QImage image;
    if (suffix == QLatin1String("png")) {
        image = QImage(qRound(size.width() * scale), qRound(size.height() * scale), QImage::Format_ARGB32_Premultiplied);
        if (image.isNull())
            return fail(QObject::tr("not enough memory for a %1x%2 image").arg(image.width()).arg(image.height()));
    }

    // Labels and legend wrapped for the export's width, and back for the screen's afterwards.
    auto* single = qobject_cast<ChartWidget*>(chart);
    auto fitTo = [&](int width) {
        if (single)
            single->fitToWidth(width);
    };
    const bool refit = size.width() != chart->width();
    if (refit)
        fitTo(size.width());

    bool written = true;
    QString writeError;
    if (suffix == QLatin1String("png")) {
        const int dotsPerMeter = qRound(dpi / 0.0254);
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
        image.fill(Qt::white);
        paintPlots(&image, placements, false, scale, QRect());
        // Stored resolution scaled too, so a scale-2 image prints at the same physical size.
        image.setDotsPerMeterX(qRound(dotsPerMeter * scale));
        image.setDotsPerMeterY(qRound(dotsPerMeter * scale));
        QImageWriter writer(&file, "png");
        written = writer.write(image);
        if (!written)
            writeError = writer.errorString();
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator generator;
        generator.setOutputDevice(&file);
        generator.setSize(size);
        generator.setViewBox(QRect(QPoint(0, 0), size));
        generator.setResolution(dpi);
        generator.setTitle(QFileInfo(path).completeBaseName());
        generator.setDescription(QObject::tr("intermap chart"));
        paintPlots(&generator, placements, true, 1.0, QRect());
    } else {
        QPdfWriter writer(&file);
        writer.setCreator(QStringLiteral("intermap"));
        writer.setTitle(QFileInfo(path).completeBaseName());
        writer.setResolution(dpi);
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setPageSize(QPageSize(QSizeF(size.width() * 72.0 / dpi, size.height() * 72.0 / dpi), QPageSize::Point,
                                     QString(), QPageSize::ExactMatch));
        // The page in device pixels may differ from `size` by rounding: the window maps one onto the other.
        paintPlots(&writer, placements, true, 1.0, QRect(QPoint(0, 0), size));
    }

    // toPainter() laid the plots out for the export size; back to the screen's now (barAt() reads
    // the layout), the repaint queued.
    if (refit)
        fitTo(chart->width());
    for (const PlotPlacement& placement : placements)
        placement.plot->replot(QCustomPlot::rpQueuedRefresh);

    if (!written)
        return fail(writeError);
    if (!file.commit())
        return fail(file.errorString());
    return true;
}


} // namespace intermap::charts
