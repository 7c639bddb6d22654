#pragma once
// Window/level of the displayed image as DICOM viewers (3D Slicer, ITK-SNAP, OHIF) do it: what a
// right-drag does to the window, the file's presets, and the lines of the image-info panel.
// Widget-free (QtCore value types and core's std-only image headers), unit-tested on its own.
// Privacy: the info lines come from image::DicomMetadata, which holds no patient attribute.
#include "intermap/image/dicom_metadata.h"
#include "intermap/image/image_read_options.h"

#include <QPoint>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace intermap::view {

// How the current image is read: its frame, the window it is displayed with and whether the
// model's input uses that window too (off by default: window/level is a display setting, and
// the model sees the model-input rule of dicom.h).
struct ImageReading {
    int frame = 1;
    image::WindowChoice displayWindow; // FromFile: the file's own choice
    bool modelUsesDisplayWindow = false;

    image::ImageReadOptions display() const { return {frame, displayWindow}; }
    image::ImageReadOptions modelInput() const {
        return {frame, modelUsesDisplayWindow ? displayWindow : image::WindowChoice{}};
    }
    // What of it changes a map (part of the map cache's key): the frame, and the window when the
    // model input uses it.
    QString modelKey() const { return readKey(modelInput()); }
    // What of it changes the displayed image.
    QString displayKey() const { return readKey(display()); }
    // Whether the model sees the image as it is displayed (one decode serves both).
    bool modelReadsAsDisplayed() const { return modelKey() == displayKey(); }

private:
    static QString readKey(const image::ImageReadOptions& options);
};

// What the worker found out about the displayed image.
struct ImageFacts {
    std::optional<image::DicomMetadata> dicom; // nullopt: not a DICOM file
    std::optional<image::DicomWindow> window;  // the linear VOI window it was shown with, if any
    QString voi;                               // e.g. "window 40/400 (file)", "min-max -1024..1918"
};

struct WindowPreset {
    QString name;               // e.g. "File: 40 / 400 (SOFT TISSUE)", "Min-max"
    image::WindowChoice choice; // FromFile for the file's own rule
};

// "File default" (the model-input rule's own choice), every Window Center/Width pair of the file,
// then "Min-max".
std::vector<WindowPreset> windowPresets(const image::DicomMetadata& metadata);
// A 16-bit grey PNG/TIFF's: as stored (the file's own rule) and min-max.
std::vector<WindowPreset> sixteenBitGreyPresets();

// The window after a right-drag of `delta` widget pixels from `start`: right widens it (less
// contrast), down raises the level (darker), one pixel = width/256 (at least 1/256 of a unit),
// as cornerstone's window/level tool. The width stays >= 1.
image::WindowChoice draggedWindow(const image::DicomWindow& start, QPoint delta);

// "C / W" with at most 6 significant digits: how windows are written in the panel and presets.
QString windowText(double center, double width);

// Modality, size, pixel spacing, bits, photometric interpretation, transfer syntax, windows,
// frames, rescale and the VOI the image was made with (`voi`, e.g. "window 40/400 (file)").
QStringList imageInfoLines(const image::DicomMetadata& metadata, const QString& voi);

} // namespace intermap::view
