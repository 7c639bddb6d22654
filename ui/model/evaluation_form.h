#pragma once
// The evaluation page's form as a value, free of widgets (ITK-SNAP's GUI/Model split): what
// `intermap-cli evaluate` takes as flags, as the user typed and ticked it. EvaluationPanel is a
// view over it; sessions store it (toJson/fromJson, the "evaluate" part of a session file);
// start() turns it into eval::EvaluationSettings. Torch-free header (the settings are forward
// declared; callers of toSettings() include intermap/eval/evaluation.h).
#include "intermap/explain/explain_options.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

namespace intermap::eval {
struct EvaluationSettings;
struct SlurmArrayRequest;
}

namespace intermap::ui {

struct EvaluationDatasetRow {
    QString name;         // <name> of <name>_<init>.pth in the weights folder
    QString imagesFolder;
    QString masksFolder;  // masks paired with the images by file stem
    QString recipe;       // one of EvaluationForm::recipeChoices(); empty = the first (resize)
};

struct EvaluationForm {
    // The study's settings (eval::EvaluationSettings' defaults), no data sets, no folders.
    EvaluationForm();

    // The choices the form offers, in the order it shows them (and writes them into the settings).
    static QStringList initChoices();   // the study's inits
    static QStringList methodChoices(); // the study's methods, then rollout
    static QStringList recipeChoices(); // "resize", "center-crop"
    static QStringList keepMapsChoices(); // "full", "float16", "none": evaluate's --keep-maps words

    QVector<EvaluationDatasetRow> datasets;
    QString weightsFolder;
    QStringList inits;   // ticked; names outside initChoices() are ignored
    QStringList methods; // ticked; names outside methodChoices() are ignored
    QString topK;        // comma-separated percentages, as typed ("5,10,20,40")
    QString target;      // a class index or explain::kPredictedTarget, as typed
    bool studyGradCam;   // Grad-CAM with aug + eigen smoothing (the study's), or neither
    explain::EigenSign eigenSign;
    explain::Precision cheferPrecision;
    int maskThreshold;   // inside = grey > threshold
    bool faithfulness;   // deletion / insertion AUC
    bool road;           // ROAD MoRF / LeRF areas
    bool sanity;         // model-parameter randomisation of every model (eval::EvaluationSettings::sanity)
    int sanityImages;    // its images per data set
    QString outputFolder;
    // Which maps the run keeps in OUT/maps (evaluate --keep-maps): one of keepMapsChoices(); an
    // unknown word is taken as the first, "full" (every map as float32 .npy, as `explain` writes).
    QString keepMaps;
    // "Run on cluster" (SLURM): the array's tasks and the user's own sbatch options, as
    // `evaluate --slurm-array N --sbatch-args "..."` take them.
    int clusterTasks;
    QString sbatchArguments;

    // The first problem that keeps the form from running (empty: none), in the words the panel
    // shows after "Cannot start:": missing or absent folders, then what toSettings() and
    // eval::EvaluationSettings::validate() refuse.
    QString validate() const;
    // The settings of the run; throws intermap::UsageError for what cannot be converted (a k value
    // that is not a number, a target that is not a class index or "predicted"). Folders unchecked.
    eval::EvaluationSettings toSettings() const;
    // The cluster submission of the same run: the CLI's evaluate (`cliProgram`, an absolute path)
    // with toSettings() as its command line, clusterTasks shards, sbatchArguments split as a shell
    // does. Throws intermap::UsageError for what cannot be submitted (a comma in a folder, an
    // unterminated quote).
    eval::SlurmArrayRequest toSlurmRequest(const QString& cliProgram) const;

    // The images the grid explains under each init: the data sets' masks that pair with an image
    // (eval::countImagesToExplain); -1 when a folder is missing or holds no masks. Lists the
    // folders (a fraction of a second per 10^5 files): the page calls it off the GUI thread, on a
    // copy of the form.
    qint64 countImagesToExplain() const;
    // The disk the chosen maps need for `imagesPerInit` images under the ticked inits and methods
    // (eval::mapStorageEstimate, the words `evaluate` prints): "about 120 MB (600 maps of 224x224,
    // float32)", "none: scores only".
    QString mapStorageEstimate(qint64 imagesPerInit) const;

    // A session's "evaluate" part (keys as sessions have always written them). fromJson takes
    // top_k and target_class from `current` when absent, every other absent key from the
    // defaults, as the panel always restored them.
    QJsonObject toJson() const;
    static EvaluationForm fromJson(const QJsonObject& json, const EvaluationForm& current = EvaluationForm());
};

} // namespace intermap::ui
