#pragma once
// The training panel's form as values (ITK-SNAP's GUI/Model split): what the widgets show, the
// training job it becomes, the session's "train" part and what is wrong with it. No widgets and
// no Torch here, so it is tested on its own (tests/ui/test_training_form.cpp); the panel only
// copies widgets to and from it.
#include "intermap/train/train_defaults.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

namespace intermap::train {
struct TrainingJob;
}

namespace intermap::ui {

struct TrainingForm {
    // The initialisation picker's choices beside the study's inits (eval::study::inits()).
    static constexpr const char* kInitFromFile = "file";

    QString dataFolder;
    QString classes;                          // empty: sorted folder names
    QString recipe = QStringLiteral("resize"); // validation/test pre-processing
    bool augmentCrop = true;
    bool augmentFlip = true;
    QString architecture = QString::fromLatin1(train::defaults::kInteractiveArchitecture);
    QString init = QStringLiteral("scratch");  // a study init id or kInitFromFile
    QString initFile;
    QString preset;                           // a study preset's name; empty: set by hand
    QString optimizer = QString::fromLatin1(train::defaults::kAdam ? "adam" : "sgd");
    double learningRate = train::defaults::kLearningRate;
    double momentum = train::defaults::kMomentum;
    double weightDecay = train::defaults::kWeightDecay;
    int epochs = train::defaults::kEpochs;
    int batchSize = train::defaults::kBatchSize;
    int patience = train::defaults::kPatience;
    int seed = static_cast<int>(train::defaults::kSeed);
    QString device = QString::fromLatin1(train::defaults::kDevice);
    QString runFolder;                        // empty: withDefaultRunFolder() names one
    bool resume = false;
    QString probeImage;                       // empty: no probe
    QString probeMethods;                     // comma-separated method names

    bool needsInitFile() const;
    // The run folder, or ~/intermap-runs/<data folder name>-<yyyyMMdd-HHmmss> when none was given.
    TrainingForm withDefaultRunFolder(const QDateTime& now) const;
    // What stops the form from starting (missing data folder, initial weights or probe image, a
    // run folder holding another run without resume, an architecture or recipe core cannot
    // parse), in the panel's words; empty when none.
    QString validate() const;
    // "train <architecture> on <data folder name>" (the jobs view's title); after validate().
    QString jobTitle() const;
    // Fills the optimiser, learning rate, momentum, weight decay, epochs, batch size and the
    // initialisation from one of the study's presets; false for an unknown name.
    bool applyPreset(const QString& name);
    // The job core runs (architecture, recipe and device parsed here: throws intermap::UsageError
    // with core's message when one is not valid). Call after validate() and withDefaultRunFolder().
    train::TrainingJob toJob() const;

    QJsonObject toJson() const;
    // Keys absent from `json` keep `base`'s values; sessions written before the inits had the
    // study's ids ("random" for scratch) still load.
    static TrainingForm fromJson(const QJsonObject& json, const TrainingForm& base);
    static TrainingForm fromJson(const QJsonObject& json); // over the defaults
    bool operator==(const TrainingForm& other) const;
};

struct Choice {
    QString title;
    QString value;
};
// The initialisation picker: the study's inits with their titles, then "a checkpoint".
QVector<Choice> trainingInitChoices();
// The probe's method sets: two common pairs, then each built-in method alone.
QVector<Choice> probeMethodChoices();
// The study's presets, each with a one-line summary ("kvasir-dino — adam lr 1e-05, ...").
QVector<Choice> trainingPresetChoices();

} // namespace intermap::ui
