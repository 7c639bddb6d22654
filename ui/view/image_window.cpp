#include "view/image_window.h"

#include <algorithm>

namespace intermap::view {

QString ImageReading::readKey(const image::ImageReadOptions& options) {
    const image::WindowChoice& window = options.window;
    QString key = QStringLiteral("frame %1 window ").arg(options.frame);
    switch (window.kind) {
    case image::WindowChoice::Kind::FromFile: return key + QStringLiteral("file");
    case image::WindowChoice::Kind::MinMax: return key + QStringLiteral("minmax");
    case image::WindowChoice::Kind::Explicit: return key + QStringLiteral("%1,%2").arg(window.center, 0, 'g', 17).arg(window.width, 0, 'g', 17);
    case image::WindowChoice::Kind::NonZero: return key + QStringLiteral("nonzero");
    }
    return key;
}

QString windowText(double center, double width) {
    return QStringLiteral("%1 / %2").arg(center, 0, 'g', 6).arg(width, 0, 'g', 6);
}

std::vector<WindowPreset> windowPresets(const image::DicomMetadata& metadata) {
    std::vector<WindowPreset> presets{{QStringLiteral("File default"), image::WindowChoice{}}};
    for (const image::DicomWindow& window : metadata.windows) {
        if (!(window.width >= 1))
            continue; // not a usable linear window (the rule skips it too)
        QString name = QStringLiteral("File: ") + windowText(window.center, window.width);
        if (!window.explanation.empty())
            name += QStringLiteral(" (%1)").arg(QString::fromStdString(window.explanation));
        presets.push_back({name, image::WindowChoice{image::WindowChoice::Kind::Explicit, window.center, window.width}});
    }
    presets.push_back({QStringLiteral("Min-max"), image::WindowChoice{image::WindowChoice::Kind::MinMax, 0, 0}});
    return presets;
}

std::vector<WindowPreset> sixteenBitGreyPresets() {
    return {{QStringLiteral("As stored (0..65535)"), image::WindowChoice{}},
            {QStringLiteral("Min-max"), image::WindowChoice{image::WindowChoice::Kind::MinMax, 0, 0}}};
}

image::WindowChoice draggedWindow(const image::DicomWindow& start, QPoint delta) {
    const double step = std::max(start.width, 1.0) / 256.0;
    const double width = std::max(1.0, start.width + delta.x() * step);
    const double center = start.center + delta.y() * step;
    return image::WindowChoice{image::WindowChoice::Kind::Explicit, center, width};
}

QStringList imageInfoLines(const image::DicomMetadata& metadata, const QString& voi) {
    QStringList lines;
    lines << QStringLiteral("Modality: %1").arg(metadata.modality.empty() ? QStringLiteral("—") : QString::fromStdString(metadata.modality));
    lines << QStringLiteral("Size: %1 x %2 px").arg(metadata.columns).arg(metadata.rows);
    if (metadata.rowSpacingMm && metadata.columnSpacingMm)
        lines << QStringLiteral("Pixel spacing: %1 x %2 mm (rows x columns)")
                     .arg(*metadata.rowSpacingMm, 0, 'g', 6)
                     .arg(*metadata.columnSpacingMm, 0, 'g', 6);
    lines << QStringLiteral("Bits: %1 stored of %2 allocated%3%4")
                 .arg(metadata.bitsStored)
                 .arg(metadata.bitsAllocated)
                 .arg(metadata.signedSamples ? QStringLiteral(", signed") : QString())
                 .arg(metadata.samplesPerPixel > 1 ? QStringLiteral(", %1 samples").arg(metadata.samplesPerPixel) : QString());
    lines << QStringLiteral("Photometric: %1").arg(QString::fromStdString(metadata.photometricInterpretation));
    lines << QStringLiteral("Transfer syntax: %1").arg(QString::fromStdString(
                 metadata.transferSyntaxName.empty() ? metadata.transferSyntaxUid : metadata.transferSyntaxName));
    if (metadata.rescaleSlope != 1.0 || metadata.rescaleIntercept != 0.0 || metadata.hasModalityLutSequence)
        lines << (metadata.hasModalityLutSequence ? QStringLiteral("Modality LUT: sequence")
                                                  : QStringLiteral("Rescale: x %1 + %2")
                                                        .arg(metadata.rescaleSlope, 0, 'g', 6)
                                                        .arg(metadata.rescaleIntercept, 0, 'g', 6));
    QStringList windows;
    for (const image::DicomWindow& window : metadata.windows)
        windows << windowText(window.center, window.width) +
                       (window.explanation.empty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromStdString(window.explanation)));
    lines << QStringLiteral("Windows in the file: %1")
                 .arg(windows.isEmpty() ? (metadata.hasVoiLutSequence ? QStringLiteral("a VOI LUT sequence") : QStringLiteral("none"))
                                        : windows.join(QStringLiteral("; ")));
    lines << QStringLiteral("Frames: %1").arg(metadata.frames);
    if (!voi.isEmpty())
        lines << QStringLiteral("Shown with: %1").arg(voi);
    return lines;
}

} // namespace intermap::view
