#pragma once
// One image of the browser's list and the browser's filters (class, prediction correctness, with
// a mask), as values: the list shows the entries the filter accepts. Tested without widgets.
#include <QString>
#include <QStringList>

namespace intermap::ui {

struct ImageEntry {
    QString path;          // absolute
    QString relativePath;  // to the opened folder, '/'-separated
    QString classLabel;    // the class sub-folder, empty for a flat folder
    int classIndex = -1;   // position of classLabel among the sorted class folders (ImageFolder)
    QString maskPath;      // empty when none
    int predictedClass = -1;
};

struct ImageFilter {
    // In the order of the browser's picker.
    enum class Prediction { Any, Correct, Wrong, NotPredicted };
    static QStringList predictionTitles();

    QString classLabel; // empty: every class
    Prediction prediction = Prediction::Any;
    bool withMaskOnly = false;

    bool accepts(const ImageEntry& entry) const;
    bool isEmpty() const { return classLabel.isEmpty() && prediction == Prediction::Any && !withMaskOnly; }
};

} // namespace intermap::ui
