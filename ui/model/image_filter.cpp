#include "model/image_filter.h"

#include <QCoreApplication>

namespace intermap::ui {

QStringList ImageFilter::predictionTitles() {
    auto tr = [](const char* text) { return QCoreApplication::translate("intermap::ui::ImageBrowser", text); };
    return {tr("All predictions"), tr("Correct"), tr("Wrong"), tr("Not yet predicted")};
}

bool ImageFilter::accepts(const ImageEntry& entry) const {
    if (!classLabel.isEmpty() && entry.classLabel != classLabel)
        return false;
    if (withMaskOnly && entry.maskPath.isEmpty())
        return false;
    const bool predicted = entry.predictedClass >= 0;
    const bool correct = predicted && entry.classIndex >= 0 && entry.predictedClass == entry.classIndex;
    switch (prediction) {
    case Prediction::Correct: return correct;
    case Prediction::Wrong: return predicted && entry.classIndex >= 0 && !correct;
    case Prediction::NotPredicted: return !predicted;
    case Prediction::Any: return true;
    }
    return true;
}

} // namespace intermap::ui
