#pragma once
// The Trust page's form as a value, free of widgets: which model, methods and images the
// model-parameter randomisation test (Adebayo et al. 2018, eval/sanity.h) runs on, how, and
// where it writes. TrustPanel is a view over it; toSettings() makes the
// eval::RandomisationSettings that `intermap-cli sanity` builds from its flags.
//
// The input size, pre-processing, target class, explain options and image reading are not
// edited on the page: they are the comparison's (ControlsDock), so the page tests the maps the
// user is looking at. applyComparison() copies them (and, when asked, the model, methods and
// images) from what the comparison shows. Torch-free header (callers of toSettings() include
// intermap/eval/sanity.h).
#include "intermap/explain/explain_options.h"
#include "intermap/image/image_read_options.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace intermap::eval {
struct RandomisationSettings;
}

namespace intermap::ui {

// What the comparison shows when the Trust page is opened (MainWindow collects it).
struct TrustComparison {
    QString checkpoint;            // the comparison's first model; empty = none loaded
    QStringList methods;           // the methods it shows
    QString currentImage;          // absolute path; empty = no image chosen
    QStringList selectedImages;    // the image browser's selection, in the browser's order
    QString recipe = QStringLiteral("resize");
    int inputSize = 224;
    explain::ExplainOptions explainOptions;
    image::ImageReadOptions imageReading; // as the model reads the image (view::ImageReading::modelInput)
};

struct TrustForm {
    enum class ImageSource { Current, Selection };

    static QStringList methodChoices(); // every built-in method, in the comparison's order
    static QStringList modeChoices();   // "cascading", "independent" (core's words)
    // A new folder for a run started at `now`: <AppLocalDataLocation>/trust/<yyyyMMdd-HHmmss>, with
    // "-2", "-3", ... appended while such a folder already exists.
    static QString defaultOutputFolder(const QDateTime& now = QDateTime::currentDateTime());

    QString checkpoint;
    QStringList methods; // ticked; kept in methodChoices()' order by toSettings()
    ImageSource imageSource = ImageSource::Current;
    QString currentImage;
    QStringList selectedImages;
    QString mode = QStringLiteral("cascading");
    quint64 seed = 0;
    QString outputFolder;
    // The comparison's, never edited here (see above).
    QString recipe = QStringLiteral("resize");
    int inputSize = 224;
    explain::ExplainOptions explainOptions;
    image::ImageReadOptions imageReading;

    // Takes the comparison's computation settings and images; with `choices` also its model and
    // methods (the comparison's "Does this map depend on the model?" link), and the current image
    // as the source. Without `choices` an empty model or method list is still filled in.
    void applyComparison(const TrustComparison& comparison, bool choices);

    // The images of the run, as `imageSource` picks them.
    QStringList images() const;
    // The first problem that keeps the form from running (empty: none), in the words the page shows
    // after "Cannot start:": no or missing model, no method, no image or a missing one, two images
    // with one file stem (they would write one map file), an output folder that already holds files
    // (a run never overwrites one).
    QString validate() const;
    eval::RandomisationSettings toSettings() const;
    // One line on what the maps are computed with: "224 px · resize · target predicted · ...".
    QString computationSummary() const;
};

} // namespace intermap::ui
