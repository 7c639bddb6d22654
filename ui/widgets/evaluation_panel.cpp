#include "widgets/evaluation_panel.h"

#include "charts/evaluation_charts.h"
#include "render/report.h"
#include "widgets/job_runner.h"
#include "widgets/path_row.h"
#include "widgets/precision_combo.h"

#include "intermap/eval/evaluation.h"
#include "intermap/eval/metric_columns.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace intermap::ui {
namespace {

constexpr int kExtremesPerSide = 3;
const QStringList kInits{QStringLiteral("scratch"), QStringLiteral("sup"), QStringLiteral("dino"), QStringLiteral("mae")};
// The study's row order (its tables), then rollout (beyond the study).
const QStringList kEvaluationMethods{QString::fromLatin1(explain::kGradCamMethod), QString::fromLatin1(explain::kAttentionMethod),
                                     QString::fromLatin1(explain::kCheferMethod), QString::fromLatin1(explain::kRolloutMethod)};
const QStringList kBaselines{QStringLiteral("centre"), QStringLiteral("random")};
enum DatasetColumn { NameColumn, ImagesColumn, MasksColumn, RecipeColumn };

QString metricTitle(const QString& column) {
    if (column == QLatin1String("pointing_game"))
        return QObject::tr("pointing game");
    if (column.startsWith(QLatin1String("iou_set_top")))
        return QObject::tr("IoU of the top %1% pixel set").arg(column.mid(11));
    if (column.startsWith(QLatin1String("iou_top")))
        return QObject::tr("IoU@%1 (rectangle around the top %1%)").arg(column.mid(7));
    if (column == QLatin1String("energy_pointing_game"))
        return QObject::tr("energy pointing game (share of the map inside the box)");
    if (column == QLatin1String("pointing_game_15px"))
        return QObject::tr("pointing game with 15 px tolerance");
    if (column == QLatin1String("deletion_auc"))
        return QObject::tr("deletion AUC (lower is better)");
    if (column == QLatin1String("insertion_auc"))
        return QObject::tr("insertion AUC");
    return column;
}

QString formatValue(double value) {
    return std::isnan(value) ? QObject::tr("n/a") : QString::number(value, 'f', 3);
}

QStringList toQStringList(const std::vector<std::string>& values) {
    QStringList list;
    for (const auto& value : values)
        list << QString::fromStdString(value);
    return list;
}

QString csvField(const QString& text) {
    return QString::fromStdString(csv::field(text.toStdString())); // quoted as the CLI's tables
}

// Grouped bars of one measure: methods x inits of a data set, the baselines as reference lines.
charts::GroupedBarData barChartData(const eval::EvaluationResults& results, const std::string& dataset,
                                    const std::string& column) {
    const QString title = metricTitle(QString::fromStdString(column));
    charts::GroupedBarData bars;
    bars.title = QObject::tr("%1 — %2").arg(QString::fromStdString(dataset), title);
    bars.valueLabel = title;
    bars.groups = toQStringList(results.settings.methods);
    bars.series = toQStringList(results.settings.inits);
    for (const auto& method : results.settings.methods) {
        QVector<double> values;
        for (const auto& init : results.settings.inits)
            values << results.cell(dataset, column, method, init).mean;
        bars.values << values;
    }
    for (const QString& baseline : kBaselines)
        bars.referenceLines << qMakePair(baseline, results.baseline(dataset, baseline.toStdString(), column));
    return bars;
}

// IoU vs k: the rectangle IoU of every method x init over the run's k values, the baselines dashed.
charts::CurveData curveChartData(const eval::EvaluationResults& results, const std::string& dataset) {
    charts::CurveData curves;
    curves.title = QObject::tr("%1 — IoU of the top-k% rectangle").arg(QString::fromStdString(dataset));
    curves.xLabel = QObject::tr("k (% of the map's pixels kept)");
    curves.yLabel = QObject::tr("mean IoU with the doctors' box");
    std::vector<std::string> iouColumns;
    for (const auto& name : results.columns)
        if (name.rfind("iou_top", 0) == 0) {
            iouColumns.push_back(name);
            curves.x << QString::fromStdString(name.substr(7)).toDouble();
        }
    for (const auto& method : results.settings.methods)
        for (const auto& init : results.settings.inits) {
            charts::CurveData::Curve curve{QObject::tr("%1 / %2").arg(QString::fromStdString(method), QString::fromStdString(init)), {}};
            for (const auto& iou : iouColumns)
                curve.y << results.cell(dataset, iou, method, init).mean;
            curves.curves << curve;
        }
    for (const QString& baseline : kBaselines) {
        charts::CurveData::Curve curve{QObject::tr("%1 baseline").arg(baseline), {}};
        for (const auto& iou : iouColumns)
            curve.y << results.baseline(dataset, baseline.toStdString(), iou);
        curves.referenceCurves << curve;
    }
    return curves;
}

} // namespace

struct EvaluationPanel::Results {
    eval::EvaluationResults summary;
    std::vector<eval::PerImageScore> perImage;
};

EvaluationPanel::EvaluationPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* formScroll = new QScrollArea(splitter);
    formScroll->setWidgetResizable(true);
    formScroll->setWidget(buildForm());
    formScroll->setMinimumWidth(formScroll->widget()->sizeHint().width() + 24);
    formScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    splitter->addWidget(formScroll);
    splitter->addWidget(buildResults());
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({420, 1000});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(m_runner, &JobRunner::jobFinished, this,
            [this](int id, JobState state, const QString& message) { jobFinished(id, static_cast<int>(state), message); });
    connect(m_runner, &JobRunner::jobChanged, this, [this](int id) {
        if (id != m_job)
            return;
        const JobInfo info = m_runner->job(id);
        if (info.state == JobState::Running)
            m_status->setText(info.total > 0 ? tr("%1 / %2 images · %3").arg(info.done).arg(info.total).arg(info.message)
                                             : info.message);
        else if (info.state == JobState::Queued)
            m_status->setText(tr("Queued behind another job."));
    });
}

EvaluationPanel::~EvaluationPanel() = default;

QWidget* EvaluationPanel::buildForm() {
    auto* form = new QWidget;
    auto* layout = new QVBoxLayout(form);

    auto* dataBox = new QGroupBox(tr("Data sets (images + doctors' masks)"), form);
    auto* dataLayout = new QVBoxLayout(dataBox);
    m_datasets = new QTableWidget(0, 4, dataBox);
    m_datasets->setObjectName(QStringLiteral("evaluationDatasets"));
    m_datasets->setHorizontalHeaderLabels({tr("Name"), tr("Images"), tr("Masks"), tr("Pre-processing")});
    m_datasets->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_datasets->horizontalHeader()->setStretchLastSection(true);
    m_datasets->verticalHeader()->setVisible(false);
    m_datasets->setMinimumHeight(110);
    m_datasets->setToolTip(tr("Name = the <name> of <name>_<init>.pth in the weights folder. Double-click a folder "
                              "cell to choose it; pre-processing: resize (CP-CHILD, DUKE) or center-crop (Kvasir, MURA)"));
    connect(m_datasets, &QTableWidget::cellDoubleClicked, this, [this](int row, int column) {
        if (column != ImagesColumn && column != MasksColumn)
            return;
        const QString folder = QFileDialog::getExistingDirectory(this, column == ImagesColumn ? tr("Images") : tr("Masks"),
                                                                 m_datasets->item(row, column)->text());
        if (!folder.isEmpty())
            m_datasets->item(row, column)->setText(folder);
    });
    auto* add = new QPushButton(tr("Add…"), dataBox);
    auto* remove = new QPushButton(tr("Remove"), dataBox);
    connect(add, &QPushButton::clicked, this, [this] {
        const QString images = QFileDialog::getExistingDirectory(this, tr("Images of the data set"));
        if (images.isEmpty())
            return;
        const QString siblingMasks = QFileInfo(images).absolutePath() + QStringLiteral("/masks");
        QString masks = QFileInfo(siblingMasks).isDir() ? siblingMasks : QString();
        if (masks.isEmpty())
            masks = QFileDialog::getExistingDirectory(this, tr("Masks of the data set (paired by file stem)"),
                                                      QFileInfo(images).absolutePath());
        addDataset(QFileInfo(QFileInfo(images).absolutePath()).fileName(), images, masks);
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_datasets->currentRow() >= 0)
            m_datasets->removeRow(m_datasets->currentRow());
    });
    auto* dataButtons = new QHBoxLayout;
    dataButtons->addWidget(add);
    dataButtons->addWidget(remove);
    dataButtons->addStretch(1);
    dataLayout->addWidget(m_datasets);
    dataLayout->addLayout(dataButtons);
    layout->addWidget(dataBox);

    auto* gridBox = new QGroupBox(tr("Grid"), form);
    auto* gridForm = new QFormLayout(gridBox);
    m_weights = new QLineEdit(gridBox);
    m_weights->setObjectName(QStringLiteral("evaluationWeights"));
    m_weights->setPlaceholderText(tr("folder of <dataset>_<init>.pth"));
    gridForm->addRow(tr("Weights"), makePathRow(gridBox, m_weights, PathKind::Folder, tr("Weights folder")).layout);
    auto* inits = new QHBoxLayout;
    for (const QString& init : kInits) {
        auto* box = new QCheckBox(init, gridBox);
        box->setChecked(true);
        inits->addWidget(box);
        m_initBoxes << box;
    }
    gridForm->addRow(tr("Initialisations"), inits);
    auto* methods = new QHBoxLayout;
    for (const QString& method : kEvaluationMethods) {
        auto* box = new QCheckBox(method, gridBox);
        box->setChecked(method != QLatin1String(explain::kRolloutMethod)); // the study's three
        methods->addWidget(box);
        m_methodBoxes << box;
    }
    gridForm->addRow(tr("Methods"), methods);
    m_topK = new QLineEdit(QStringLiteral("5,10,20,40"), gridBox);
    m_topK->setToolTip(tr("Percentages of the map's pixels kept for IoU@k"));
    gridForm->addRow(tr("k values (%)"), m_topK);
    m_target = new QComboBox(gridBox);
    m_target->setEditable(true);
    m_target->addItems({QStringLiteral("1"), QStringLiteral("predicted"), QStringLiteral("0")});
    m_target->setToolTip(tr("Class explained: 1 as the study (the positive class), 'predicted', or a class index"));
    gridForm->addRow(tr("Target class"), m_target);
    m_studyGradCam = new QCheckBox(tr("aug + eigen smoothing (the study's)"), gridBox);
    m_studyGradCam->setChecked(true);
    gridForm->addRow(tr("Grad-CAM"), m_studyGradCam);
    m_eigenSign = new QComboBox(gridBox);
    m_eigenSign->addItem(tr("as the study (SVD's sign)"), QStringLiteral("study"));
    m_eigenSign->addItem(tr("corrected"), QStringLiteral("corrected"));
    gridForm->addRow(tr("Eigen sign"), m_eigenSign);
    m_cheferPrecision = makePrecisionCombo(gridBox);
    gridForm->addRow(tr("Chefer"), m_cheferPrecision);
    m_maskThreshold = new QSpinBox(gridBox);
    m_maskThreshold->setRange(0, 254);
    m_maskThreshold->setToolTip(tr("Mask inside = grey > threshold (0 for the study's boxes)"));
    gridForm->addRow(tr("Mask threshold"), m_maskThreshold);
    m_faithfulness = new QCheckBox(tr("deletion / insertion AUC (42 extra passes per map)"), gridBox);
    gridForm->addRow(tr("Beyond the study"), m_faithfulness);
    m_output = new QLineEdit(gridBox);
    m_output->setObjectName(QStringLiteral("evaluationOutput"));
    m_output->setPlaceholderText(tr("results folder (re-running resumes it)"));
    gridForm->addRow(tr("Output"), makePathRow(gridBox, m_output, PathKind::Folder, tr("Results folder")).layout);
    layout->addWidget(gridBox);

    m_startButton = new QPushButton(tr("Run evaluation"), form);
    m_startButton->setObjectName(QStringLiteral("startEvaluation"));
    m_cancelButton = new QPushButton(tr("Cancel"), form);
    m_cancelButton->setEnabled(false);
    m_cancelButton->setToolTip(tr("Stops after the current image; running again resumes from the finished images"));
    auto* openResults = new QPushButton(tr("Open results…"), form);
    openResults->setToolTip(tr("Show the results of an earlier run (a folder with results.json)"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(openResults);
    layout->addLayout(buttons);
    auto* exportBox = new QGroupBox(tr("Export"), form);
    auto* exportLayout = new QHBoxLayout(exportBox);
    const QStringList exportNames{tr("Report…"), tr("Chart…"), tr("Table CSV…")};
    for (int kind = 0; kind < exportNames.size(); ++kind) {
        auto* button = new QPushButton(exportNames[kind], exportBox);
        connect(button, &QPushButton::clicked, this, [this, kind] { exportInteractively(kind); });
        exportLayout->addWidget(button);
    }
    layout->addWidget(exportBox);
    layout->addStretch(1);

    connect(m_startButton, &QPushButton::clicked, this, [this] {
        QString error;
        if (start(&error) < 0)
            m_status->setText(tr("<b>Cannot start:</b> %1").arg(error.toHtmlEscaped()));
    });
    connect(m_cancelButton, &QPushButton::clicked, this, &EvaluationPanel::cancel);
    connect(openResults, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Results folder"), m_output->text());
        QString error;
        if (!folder.isEmpty() && !loadResults(folder, &error))
            m_status->setText(tr("<b>Cannot open the results:</b> %1").arg(error.toHtmlEscaped()));
    });
    return form;
}

QWidget* EvaluationPanel::buildResults() {
    auto* results = new QWidget;
    auto* layout = new QVBoxLayout(results);
    layout->setContentsMargins(4, 0, 0, 0);
    m_status = new QLabel(tr("No results yet: set the data sets and weights, then Run evaluation (or open an earlier run)."),
                          results);
    m_status->setObjectName(QStringLiteral("evaluationStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);
    auto* pickers = new QHBoxLayout;
    m_shownDataset = new QComboBox(results);
    m_shownMetric = new QComboBox(results);
    pickers->addWidget(new QLabel(tr("Data set"), results));
    pickers->addWidget(m_shownDataset, 1);
    pickers->addWidget(new QLabel(tr("Measure"), results));
    pickers->addWidget(m_shownMetric, 2);
    layout->addLayout(pickers);
    m_table = new QTableWidget(results);
    m_table->setObjectName(QStringLiteral("evaluationTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setMaximumHeight(200);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_table);
    auto* lower = new QSplitter(Qt::Horizontal, results);
    m_chartTabs = new QTabWidget(lower);
    m_bars = new charts::GroupedBarChart(m_chartTabs);
    m_curves = new charts::CurveChart(m_chartTabs);
    m_chartTabs->addTab(m_bars, tr("Methods x inits"));
    m_chartTabs->addTab(m_curves, tr("IoU vs k"));
    auto* extremesBox = new QWidget(lower);
    auto* extremesLayout = new QVBoxLayout(extremesBox);
    extremesLayout->setContentsMargins(0, 0, 0, 0);
    m_extremesTitle = new QLabel(tr("Click a cell or a bar: its best and worst images"), extremesBox);
    m_extremesTitle->setWordWrap(true);
    m_extremes = new QListWidget(extremesBox);
    m_extremes->setObjectName(QStringLiteral("evaluationExtremes"));
    m_extremes->setToolTip(tr("Double-click to open the image with this model and method in the comparison view"));
    extremesLayout->addWidget(m_extremesTitle);
    extremesLayout->addWidget(m_extremes, 1);
    lower->addWidget(m_chartTabs);
    lower->addWidget(extremesBox);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 1);
    layout->addWidget(lower, 1);

    connect(m_shownDataset, &QComboBox::currentIndexChanged, this, &EvaluationPanel::refreshResults);
    connect(m_shownMetric, &QComboBox::currentIndexChanged, this, &EvaluationPanel::refreshResults);
    connect(m_table, &QTableWidget::cellClicked, this, &EvaluationPanel::selectCell);
    connect(m_bars, &charts::GroupedBarChart::barClicked, this, &EvaluationPanel::selectCell);
    connect(m_extremes, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { openExtreme(m_extremes->row(item)); });
    return results;
}

void EvaluationPanel::addDataset(const QString& name, const QString& imagesFolder, const QString& masksFolder,
                                 const QString& recipe) {
    const int row = m_datasets->rowCount();
    m_datasets->insertRow(row);
    m_datasets->setItem(row, NameColumn, new QTableWidgetItem(name));
    m_datasets->setItem(row, ImagesColumn, new QTableWidgetItem(imagesFolder));
    m_datasets->setItem(row, MasksColumn, new QTableWidgetItem(masksFolder));
    m_datasets->item(row, ImagesColumn)->setToolTip(imagesFolder);
    m_datasets->item(row, MasksColumn)->setToolTip(masksFolder);
    auto* recipeBox = new QComboBox(m_datasets);
    recipeBox->addItems({QStringLiteral("resize"), QStringLiteral("center-crop")});
    recipeBox->setCurrentText(recipe);
    m_datasets->setCellWidget(row, RecipeColumn, recipeBox);
}

void EvaluationPanel::clearDatasets() { m_datasets->setRowCount(0); }
void EvaluationPanel::setWeightsFolder(const QString& folder) { m_weights->setText(folder); }
void EvaluationPanel::setTopK(const QString& commaSeparated) { m_topK->setText(commaSeparated); }
void EvaluationPanel::setTargetClass(const QString& classIndexOrPredicted) { m_target->setCurrentText(classIndexOrPredicted); }
void EvaluationPanel::setStudyGradCam(bool augAndEigenSmooth) { m_studyGradCam->setChecked(augAndEigenSmooth); }
void EvaluationPanel::setOutputFolder(const QString& folder) { m_output->setText(folder); }

void EvaluationPanel::setInits(const QStringList& inits) {
    for (QCheckBox* box : m_initBoxes)
        box->setChecked(inits.contains(box->text()));
}

void EvaluationPanel::setMethods(const QStringList& methods) {
    for (QCheckBox* box : m_methodBoxes)
        box->setChecked(methods.contains(box->text()));
}

int EvaluationPanel::start(QString* error) {
    if (m_runner->isActive(m_job)) {
        *error = tr("an evaluation of this panel is still running");
        return -1;
    }
    eval::EvaluationSettings settings;
    settings.weightsDir = m_weights->text().trimmed().toStdString();
    settings.outDir = m_output->text().trimmed().toStdString();
    if (settings.outDir.empty()) {
        *error = tr("no output folder chosen");
        return -1;
    }
    if (settings.weightsDir.empty() || !QFileInfo(m_weights->text().trimmed()).isDir()) {
        *error = settings.weightsDir.empty() ? tr("no weights folder chosen") : tr("%1: no such folder").arg(m_weights->text());
        return -1;
    }
    try {
        for (int row = 0; row < m_datasets->rowCount(); ++row) {
            eval::DatasetSpec spec;
            spec.name = m_datasets->item(row, NameColumn)->text().trimmed().toStdString();
            spec.imagesDir = m_datasets->item(row, ImagesColumn)->text().trimmed().toStdString();
            spec.masksDir = m_datasets->item(row, MasksColumn)->text().trimmed().toStdString();
            const auto* recipe = qobject_cast<QComboBox*>(m_datasets->cellWidget(row, RecipeColumn));
            spec.recipe = image::parsePreprocessRecipe(recipe ? recipe->currentText().toStdString() : "resize");
            for (const auto* folder : {&spec.imagesDir, &spec.masksDir})
                if (!QFileInfo(QString::fromStdString(*folder)).isDir())
                    throw UsageError("data set " + spec.name + ": " + (folder->empty() ? std::string("a folder is missing")
                                                                                       : *folder + ": no such folder"));
            settings.datasets.push_back(spec);
        }
        settings.inits.clear();
        for (QCheckBox* box : m_initBoxes)
            if (box->isChecked())
                settings.inits.push_back(box->text().toStdString());
        settings.methods.clear();
        for (QCheckBox* box : m_methodBoxes)
            if (box->isChecked())
                settings.methods.push_back(box->text().toStdString());
        settings.topK.clear();
        for (const QString& part : m_topK->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            const double k = part.trimmed().toDouble(&ok);
            if (!ok)
                throw UsageError("k values: '" + part.trimmed().toStdString() + "' is not a number");
            settings.topK.push_back(k);
        }
        const QString target = m_target->currentText().trimmed();
        if (target == QLatin1String("predicted")) {
            settings.explainOptions.targetClass.reset();
        } else {
            bool ok = false;
            const int value = target.toInt(&ok);
            if (!ok || value < 0)
                throw UsageError("target class must be a class index >= 0 or 'predicted', got '" + target.toStdString() + "'");
            settings.explainOptions.targetClass = value;
        }
        settings.explainOptions.augSmooth = m_studyGradCam->isChecked();
        settings.explainOptions.eigenSmooth = m_studyGradCam->isChecked();
        settings.explainOptions.eigenSign = m_eigenSign->currentData().toString() == QLatin1String("study")
                                                ? explain::EigenSign::AsSvdReturns
                                                : explain::EigenSign::Corrected;
        settings.explainOptions.cheferPrecision = comboPrecision(m_cheferPrecision);
        settings.maskThreshold = m_maskThreshold->value();
        settings.faithfulness = m_faithfulness->isChecked();
        settings.validate(explain::ExplainerRegistry::withBuiltinMethods());
    } catch (const std::exception& failure) {
        *error = QString::fromStdString(failure.what());
        return -1;
    }

    const QString outputFolder = m_output->text().trimmed();
    m_job = m_runner->enqueue(tr("evaluate %1 data set(s) x %2 init(s) x %3 method(s)")
                                  .arg(settings.datasets.size())
                                  .arg(settings.inits.size())
                                  .arg(settings.methods.size()),
                              [settings](JobContext& context) -> QString {
                                  const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
                                  const auto run = eval::runEvaluation(
                                      settings, registry,
                                      [&context](std::int64_t done, std::int64_t total, const std::string& message) {
                                          return context.report(done, total, QString::fromStdString(message));
                                      });
                                  QString summary = QObject::tr("%1 items scored (%2 computed, %3 reused) in %4 s")
                                                        .arg(run.results.itemsScored)
                                                        .arg(run.maps.itemsComputed)
                                                        .arg(run.maps.itemsReused)
                                                        .arg(run.mapPhaseSeconds, 0, 'f', 1);
                                  const std::size_t problems = run.maps.problems.size() + run.results.problems.size();
                                  if (problems > 0)
                                      summary += QObject::tr("; %1 problems (first: %2)")
                                                     .arg(problems)
                                                     .arg(QString::fromStdString(run.maps.problems.empty()
                                                                                     ? run.results.problems.front()
                                                                                     : run.maps.problems.front()));
                                  return summary;
                              });
    m_resultsFolder = outputFolder;
    m_startButton->setEnabled(false);
    m_cancelButton->setEnabled(true);
    m_status->setText(tr("Queued."));
    return m_job;
}

void EvaluationPanel::cancel() {
    if (m_job != 0)
        m_runner->cancel(m_job);
}

void EvaluationPanel::jobFinished(int id, int state, const QString& message) {
    if (id != m_job)
        return;
    m_startButton->setEnabled(true);
    m_cancelButton->setEnabled(false);
    const auto jobState = static_cast<JobState>(state);
    if (jobState == JobState::Succeeded) {
        QString error;
        if (loadResults(m_resultsFolder, &error))
            m_status->setText(tr("<b>Finished</b>: %1. Results in %2").arg(message.toHtmlEscaped(), m_resultsFolder.toHtmlEscaped()));
        else
            m_status->setText(tr("<b>Finished, but the results cannot be shown</b>: %1").arg(error.toHtmlEscaped()));
    } else if (jobState == JobState::Cancelled) {
        m_status->setText(tr("<b>Cancelled</b>. The finished images' maps are kept in %1; Run evaluation again resumes.")
                              .arg(m_resultsFolder.toHtmlEscaped()));
    } else {
        m_status->setText(tr("<b>Failed</b>: %1").arg(message.toHtmlEscaped()));
    }
    Q_EMIT evaluationFinished(jobState == JobState::Succeeded, message);
}

bool EvaluationPanel::loadResults(const QString& outputFolder, QString* error) {
    auto results = std::make_unique<Results>();
    try {
        results->summary = eval::readEvaluationResults(outputFolder.toStdString());
        results->perImage = eval::readPerImageScores(outputFolder.toStdString());
    } catch (const std::exception& failure) {
        *error = QString::fromStdString(failure.what());
        return false;
    }
    m_results = std::move(results);
    m_resultsFolder = outputFolder;
    m_selectedRow = m_selectedColumn = -1;
    const QString previousDataset = m_shownDataset->currentText();
    const QString previousMetric = m_shownMetric->currentData().toString();
    {
        const QSignalBlocker datasetBlocker(m_shownDataset);
        const QSignalBlocker metricBlocker(m_shownMetric);
        m_shownDataset->clear();
        for (const auto& dataset : m_results->summary.settings.datasets)
            m_shownDataset->addItem(QString::fromStdString(dataset.name));
        m_shownMetric->clear();
        for (const auto& column : m_results->summary.columns)
            m_shownMetric->addItem(metricTitle(QString::fromStdString(column)), QString::fromStdString(column));
        m_shownDataset->setCurrentIndex(std::max(0, m_shownDataset->findText(previousDataset)));
        m_shownMetric->setCurrentIndex(std::max(0, m_shownMetric->findData(previousMetric)));
    }
    refreshResults();
    return true;
}

bool EvaluationPanel::hasResults() const {
    return m_results != nullptr;
}

QStringList EvaluationPanel::datasetNames() const {
    QStringList names;
    if (m_results)
        for (const auto& dataset : m_results->summary.settings.datasets)
            names << QString::fromStdString(dataset.name);
    return names;
}

QStringList EvaluationPanel::metricColumns() const {
    return m_results ? toQStringList(m_results->summary.columns) : QStringList();
}

void EvaluationPanel::showDataset(const QString& name) {
    m_shownDataset->setCurrentIndex(std::max(0, m_shownDataset->findText(name)));
}

void EvaluationPanel::showMetric(const QString& column) {
    m_shownMetric->setCurrentIndex(std::max(0, m_shownMetric->findData(column)));
}

void EvaluationPanel::refreshResults() {
    if (!m_results || m_shownDataset->currentIndex() < 0 || m_shownMetric->currentIndex() < 0)
        return;
    const auto& summary = m_results->summary;
    const std::string dataset = m_shownDataset->currentText().toStdString();
    const std::string column = m_shownMetric->currentData().toString().toStdString();
    const QStringList methods = toQStringList(summary.settings.methods);
    const QStringList inits = toQStringList(summary.settings.inits);
    const bool higher = eval::columns::higherIsBetter(column);

    // The study's table: rows = methods, columns = inits; the baselines below, one value a row.
    m_table->clear();
    m_table->setColumnCount(static_cast<int>(inits.size()));
    m_table->setHorizontalHeaderLabels(inits);
    QStringList rowLabels = methods;
    for (const QString& baseline : kBaselines)
        rowLabels << tr("%1 baseline").arg(baseline);
    m_table->setRowCount(static_cast<int>(rowLabels.size()));
    m_table->setVerticalHeaderLabels(rowLabels);
    for (int row = 0; row < methods.size(); ++row) {
        double best = higher ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        for (int col = 0; col < inits.size(); ++col) {
            const double mean = summary.cell(dataset, column, methods[row].toStdString(), inits[col].toStdString()).mean;
            if (!std::isnan(mean))
                best = higher ? std::max(best, mean) : std::min(best, mean);
        }
        for (int col = 0; col < inits.size(); ++col) {
            const auto cell = summary.cell(dataset, column, methods[row].toStdString(), inits[col].toStdString());
            auto* item = new QTableWidgetItem(formatValue(cell.mean));
            item->setData(Qt::UserRole, cell.mean);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            item->setToolTip(tr("%1, %2, %3: %4 over %n image(s)", nullptr, static_cast<int>(cell.n))
                                 .arg(methods[row], inits[col], metricTitle(QString::fromStdString(column)))
                                 .arg(cell.mean, 0, 'g', 10));
            if (!std::isnan(cell.mean) && cell.mean == best) {
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
            }
            m_table->setItem(row, col, item);
        }
    }
    for (int b = 0; b < kBaselines.size(); ++b) {
        const double value = summary.baseline(dataset, kBaselines[b].toStdString(), column);
        const int row = static_cast<int>(methods.size()) + b;
        auto* item = new QTableWidgetItem(formatValue(value));
        item->setData(Qt::UserRole, value);
        item->setTextAlignment(Qt::AlignCenter);
        item->setForeground(QColor(90, 90, 90));
        m_table->setItem(row, 0, item);
        if (inits.size() > 1)
            m_table->setSpan(row, 0, 1, static_cast<int>(inits.size()));
    }

    m_bars->setData(barChartData(summary, dataset, column));
    m_curves->setData(curveChartData(summary, dataset));
    refreshExtremes();
}

void EvaluationPanel::selectCell(int methodRow, int initColumn) {
    if (!m_results || methodRow < 0 || initColumn < 0 ||
        methodRow >= static_cast<int>(m_results->summary.settings.methods.size()) ||
        initColumn >= static_cast<int>(m_results->summary.settings.inits.size()))
        return; // a baseline row or outside the grid: no images of its own
    m_selectedRow = methodRow;
    m_selectedColumn = initColumn;
    m_table->setCurrentCell(methodRow, initColumn);
    refreshExtremes();
}

void EvaluationPanel::refreshExtremes() {
    m_extremes->clear();
    if (!m_results || m_selectedRow < 0) {
        m_extremesTitle->setText(tr("Click a cell or a bar: its best and worst images"));
        return;
    }
    const auto& summary = m_results->summary;
    const std::string dataset = m_shownDataset->currentText().toStdString();
    const std::string column = m_shownMetric->currentData().toString().toStdString();
    const std::string& method = summary.settings.methods[static_cast<std::size_t>(m_selectedRow)];
    const std::string& init = summary.settings.inits[static_cast<std::size_t>(m_selectedColumn)];
    const auto columnIt = std::find(summary.columns.begin(), summary.columns.end(), column);
    if (columnIt == summary.columns.end())
        return;
    const auto columnIndex = static_cast<std::size_t>(columnIt - summary.columns.begin());
    std::vector<const eval::PerImageScore*> rows;
    for (const auto& score : m_results->perImage)
        if (score.dataset == dataset && score.method == method && score.init == init && columnIndex < score.values.size() &&
            !std::isnan(score.values[columnIndex]))
            rows.push_back(&score);
    const bool higher = eval::columns::higherIsBetter(column);
    // Best first; ties by image name so the list is stable.
    std::stable_sort(rows.begin(), rows.end(), [&](const eval::PerImageScore* a, const eval::PerImageScore* b) {
        const double va = a->values[columnIndex], vb = b->values[columnIndex];
        if (va != vb)
            return higher ? va > vb : va < vb;
        return a->image < b->image;
    });
    m_extremesTitle->setText(tr("<b>%1 / %2</b>, %3: best and worst of %n image(s)", nullptr, static_cast<int>(rows.size()))
                                 .arg(QString::fromStdString(method), QString::fromStdString(init),
                                      metricTitle(QString::fromStdString(column))));
    const int count = static_cast<int>(rows.size());
    const int best = std::min(kExtremesPerSide, count);
    const int worst = std::min(kExtremesPerSide, count - best);
    auto add = [&](const QString& label, const eval::PerImageScore* score) {
        auto* item = new QListWidgetItem(tr("%1  %2  (%3)").arg(label, QString::fromStdString(score->image),
                                                                 QString::number(score->values[columnIndex], 'f', 3)),
                                         m_extremes);
        item->setData(Qt::UserRole, QString::fromStdString(score->image));
    };
    for (int i = 0; i < best; ++i)
        add(tr("best"), rows[static_cast<std::size_t>(i)]);
    for (int i = count - worst; i < count; ++i)
        add(tr("worst"), rows[static_cast<std::size_t>(i)]);
}

void EvaluationPanel::openExtreme(int row) {
    if (!m_results || row < 0 || row >= m_extremes->count() || m_selectedRow < 0)
        return;
    const auto& settings = m_results->summary.settings;
    const auto datasetIt = std::find_if(settings.datasets.begin(), settings.datasets.end(), [&](const eval::DatasetSpec& d) {
        return d.name == m_shownDataset->currentText().toStdString();
    });
    if (datasetIt == settings.datasets.end())
        return;
    const std::string& init = settings.inits[static_cast<std::size_t>(m_selectedColumn)];
    Q_EMIT openInComparison(QString::fromStdString(datasetIt->imagesDir), QString::fromStdString(datasetIt->masksDir),
                            QString::fromStdString(eval::checkpointPath(settings, datasetIt->name, init)),
                            QString::fromStdString(settings.methods[static_cast<std::size_t>(m_selectedRow)]),
                            m_extremes->item(row)->data(Qt::UserRole).toString());
}

bool EvaluationPanel::exportTableCsv(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    QString text = QStringLiteral(",") + [&] {
        QStringList headers;
        for (int col = 0; col < m_table->columnCount(); ++col)
            headers << csvField(m_table->horizontalHeaderItem(col)->text());
        return headers.join(QLatin1Char(','));
    }() + QLatin1Char('\n');
    const int methodRows = static_cast<int>(m_results->summary.settings.methods.size());
    for (int row = 0; row < m_table->rowCount(); ++row) {
        QStringList fields{csvField(m_table->verticalHeaderItem(row)->text())};
        const int columns = row < methodRows ? m_table->columnCount() : 1; // a baseline: one value
        for (int col = 0; col < columns; ++col) {
            const double value = m_table->item(row, col)->data(Qt::UserRole).toDouble();
            fields << (std::isnan(value) ? QString() : QString::number(value, 'g', 17));
        }
        text += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit()) {
        *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool EvaluationPanel::exportChart(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    const bool raster = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive);
    return charts::saveChart(m_chartTabs->currentWidget(), path, error, raster ? 2.0 : 1.0);
}

bool EvaluationPanel::exportReport(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    const auto& summary = m_results->summary;
    const auto& settings = summary.settings;
    render::ReportDocument report;
    report.title = tr("intermap evaluation report");
    report.subtitle = m_resultsFolder;
    QStringList datasetLines;
    for (const auto& dataset : settings.datasets)
        datasetLines << tr("%1: images %2, masks %3, %4")
                            .arg(QString::fromStdString(dataset.name), QString::fromStdString(dataset.imagesDir),
                                 QString::fromStdString(dataset.masksDir), QString::fromLatin1(image::toString(dataset.recipe)));
    QStringList topK;
    for (double k : settings.topK)
        topK << QString::number(k);
    const auto& options = settings.explainOptions;
    report.settings = {
        {tr("results folder"), m_resultsFolder},
        {tr("weights"), QString::fromStdString(settings.weightsDir)},
        {tr("data sets"), datasetLines.join(QStringLiteral("; "))},
        {tr("initialisations"), toQStringList(settings.inits).join(QStringLiteral(", "))},
        {tr("methods"), toQStringList(settings.methods).join(QStringLiteral(", "))},
        {tr("target class"), options.targetClass ? QString::number(*options.targetClass) : tr("predicted")},
        {tr("Grad-CAM"), tr("aug-smooth %1, eigen-smooth %2, eigen sign %3")
                             .arg(options.augSmooth ? tr("on") : tr("off"), options.eigenSmooth ? tr("on") : tr("off"),
                                  options.eigenSign == explain::EigenSign::AsSvdReturns ? tr("as the study") : tr("corrected"))},
        {tr("Chefer arithmetic"), QString::fromLatin1(explain::precisionName(options.cheferPrecision))},
        {tr("k values (%)"), topK.join(QStringLiteral(", "))},
        {tr("mask threshold"), tr("inside = grey > %1").arg(settings.maskThreshold)},
        {tr("random baseline seed"), QString::number(settings.randomBaselineSeed)},
        {tr("faithfulness"), settings.faithfulness ? tr("deletion / insertion, %1 steps").arg(settings.faithfulnessSteps)
                                                   : tr("off")}};
    report.versions = {{QStringLiteral("intermap"), QString::fromStdString(summary.intermapVersion)},
                       {QStringLiteral("LibTorch"), QString::fromStdString(summary.libtorchVersion)},
                       {QStringLiteral("OpenCV"), QString::fromStdString(summary.opencvVersion)},
                       {QStringLiteral("Qt"), QString::fromLatin1(qVersion())}};
    report.problems = toQStringList(summary.problems);

    const QStringList methods = toQStringList(settings.methods);
    const QStringList inits = toQStringList(settings.inits);
    // Charts drawn off screen at print size, the way the panel shows them.
    charts::GroupedBarChart barChart;
    charts::CurveChart curveChart;
    barChart.resize(1000, 520);
    curveChart.resize(1000, 520);
    QTemporaryDir scratch;
    if (!scratch.isValid()) {
        *error = tr("cannot create a temporary folder for the charts");
        return false;
    }
    int chartIndex = 0;
    auto chartImage = [&](QWidget* chart) {
        const QString file = scratch.filePath(QStringLiteral("chart-%1.png").arg(chartIndex++));
        QString chartError;
        return charts::saveChart(chart, file, &chartError, 2.0) ? QImage(file) : QImage();
    };
    for (const auto& dataset : settings.datasets) {
        const QString name = QString::fromStdString(dataset.name);
        for (const auto& column : summary.columns) {
            const QString columnName = QString::fromStdString(column);
            render::ReportTable table;
            table.title = tr("%1 — %2").arg(name, metricTitle(columnName));
            table.columnHeaders = inits;
            table.rowHeaders = methods;
            table.higherIsBetter = eval::columns::higherIsBetter(column);
            for (const QString& method : methods) {
                QVector<double> values;
                QVector<qint64> counts;
                for (const QString& init : inits) {
                    const auto cell = summary.cell(dataset.name, column, method.toStdString(), init.toStdString());
                    values << cell.mean;
                    counts << cell.n;
                }
                table.values << values;
                table.counts << counts;
            }
            for (const QString& baseline : kBaselines) {
                const double value = summary.baseline(dataset.name, baseline.toStdString(), column);
                if (!std::isnan(value))
                    table.referenceRows << qMakePair(tr("%1 baseline").arg(baseline), value);
            }
            report.tables << table;
        }
        // The two charts of the study per data set: pointing game bars and IoU vs k.
        barChart.setData(barChartData(summary, dataset.name, "pointing_game"));
        curveChart.setData(curveChartData(summary, dataset.name));
        report.charts << render::ReportChart{barChart.data().title, chartImage(&barChart)};
        report.charts << render::ReportChart{curveChart.data().title, chartImage(&curveChart)};
    }
    return render::saveReport(report, path, error);
}

void EvaluationPanel::exportInteractively(int kind) {
    if (!m_results) {
        m_status->setText(tr("Nothing to export yet: run an evaluation or open its results."));
        return;
    }
    const QStringList filters{tr("HTML report (*.html);;PDF report (*.pdf)"), tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"),
                              tr("CSV (*.csv)")};
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export"), m_resultsFolder, filters[kind], &selected);
    if (path.isEmpty())
        return;
    QString error;
    const bool ok = kind == 0 ? exportReport(path, &error) : kind == 1 ? exportChart(path, &error) : exportTableCsv(path, &error);
    m_status->setText(ok ? tr("Exported %1").arg(path.toHtmlEscaped()) : tr("<b>Export failed</b>: %1").arg(error.toHtmlEscaped()));
}

QJsonObject EvaluationPanel::saveState() const {
    QJsonArray datasets;
    for (int row = 0; row < m_datasets->rowCount(); ++row) {
        const auto* recipe = qobject_cast<QComboBox*>(m_datasets->cellWidget(row, RecipeColumn));
        datasets.append(QJsonObject{{QStringLiteral("name"), m_datasets->item(row, NameColumn)->text()},
                                    {QStringLiteral("images"), m_datasets->item(row, ImagesColumn)->text()},
                                    {QStringLiteral("masks"), m_datasets->item(row, MasksColumn)->text()},
                                    {QStringLiteral("preprocess"), recipe ? recipe->currentText() : QStringLiteral("resize")}});
    }
    QJsonArray inits, methods;
    for (QCheckBox* box : m_initBoxes)
        if (box->isChecked())
            inits.append(box->text());
    for (QCheckBox* box : m_methodBoxes)
        if (box->isChecked())
            methods.append(box->text());
    return QJsonObject{{QStringLiteral("datasets"), datasets},
                       {QStringLiteral("weights"), m_weights->text()},
                       {QStringLiteral("inits"), inits},
                       {QStringLiteral("methods"), methods},
                       {QStringLiteral("top_k"), m_topK->text()},
                       {QStringLiteral("target_class"), m_target->currentText()},
                       {QStringLiteral("study_gradcam"), m_studyGradCam->isChecked()},
                       {QStringLiteral("eigen_sign"), m_eigenSign->currentData().toString()},
                       {QStringLiteral("chefer_precision"), m_cheferPrecision->currentData().toString()},
                       {QStringLiteral("mask_threshold"), m_maskThreshold->value()},
                       {QStringLiteral("faithfulness"), m_faithfulness->isChecked()},
                       {QStringLiteral("output"), m_output->text()},
                       {QStringLiteral("results"), hasResults() ? m_resultsFolder : QString()},
                       {QStringLiteral("shown_dataset"), m_shownDataset->currentText()},
                       {QStringLiteral("shown_metric"), m_shownMetric->currentData().toString()}};
}

void EvaluationPanel::restoreState(const QJsonObject& state) {
    if (state.isEmpty())
        return;
    clearDatasets();
    for (const auto& value : state.value(QStringLiteral("datasets")).toArray()) {
        const QJsonObject dataset = value.toObject();
        addDataset(dataset.value(QStringLiteral("name")).toString(), dataset.value(QStringLiteral("images")).toString(),
                   dataset.value(QStringLiteral("masks")).toString(),
                   dataset.value(QStringLiteral("preprocess")).toString(QStringLiteral("resize")));
    }
    m_weights->setText(state.value(QStringLiteral("weights")).toString());
    QStringList inits, methods;
    for (const auto& value : state.value(QStringLiteral("inits")).toArray())
        inits << value.toString();
    for (const auto& value : state.value(QStringLiteral("methods")).toArray())
        methods << value.toString();
    setInits(inits);
    setMethods(methods);
    m_topK->setText(state.value(QStringLiteral("top_k")).toString(m_topK->text()));
    m_target->setCurrentText(state.value(QStringLiteral("target_class")).toString(m_target->currentText()));
    m_studyGradCam->setChecked(state.value(QStringLiteral("study_gradcam")).toBool(true));
    m_eigenSign->setCurrentIndex(std::max(0, m_eigenSign->findData(state.value(QStringLiteral("eigen_sign")).toString())));
    setComboPrecision(m_cheferPrecision, precisionFromText(state.value(QStringLiteral("chefer_precision")).toString()));
    m_maskThreshold->setValue(state.value(QStringLiteral("mask_threshold")).toInt());
    m_faithfulness->setChecked(state.value(QStringLiteral("faithfulness")).toBool());
    m_output->setText(state.value(QStringLiteral("output")).toString());
    const QString results = state.value(QStringLiteral("results")).toString();
    QString error;
    if (!results.isEmpty() && loadResults(results, &error)) {
        showDataset(state.value(QStringLiteral("shown_dataset")).toString());
        showMetric(state.value(QStringLiteral("shown_metric")).toString());
    } else if (!results.isEmpty()) {
        m_status->setText(tr("<b>Cannot show the session's results</b>: %1").arg(error.toHtmlEscaped()));
    }
}

} // namespace intermap::ui
