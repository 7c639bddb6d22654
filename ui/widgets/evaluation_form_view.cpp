#include "widgets/evaluation_form_view.h"

#include "model/vocabulary.h"
#include "widgets/form_rows.h"
#include "widgets/precision_combo.h"

#include "intermap/explain/method_names.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace intermap::ui {
namespace {

enum DatasetColumn { NameColumn, ImagesColumn, MasksColumn, RecipeColumn };

void setChecked(const QVector<QCheckBox*>& boxes, const QStringList& names) {
    for (QCheckBox* box : boxes)
        box->setChecked(names.contains(box->text()));
}

QStringList checked(const QVector<QCheckBox*>& boxes) {
    QStringList names;
    for (QCheckBox* box : boxes)
        if (box->isChecked())
            names << box->text();
    return names;
}

QString eigenSignData(explain::EigenSign sign) {
    return QString::fromLatin1(explain::eigenSignName(sign));
}

// What decides the image count: each data set's images and masks, as typed.
QString datasetFolders(const EvaluationForm& form) {
    QStringList folders;
    for (const EvaluationDatasetRow& row : form.datasets)
        folders << row.imagesFolder.trimmed() << row.masksFolder.trimmed();
    return folders.join(QLatin1Char('\n'));
}

} // namespace

EvaluationFormView::EvaluationFormView(QWidget* parent) : QWidget(parent) {
    m_imageCounter = new QFutureWatcher<qint64>(this);
    connect(m_imageCounter, &QFutureWatcher<qint64>::finished, this, [this] {
        const EvaluationForm current = form();
        if (datasetFolders(current) != m_countingFolders) { // changed while counting: count again
            countImages(current);
            return;
        }
        m_imagesPerInit = m_imageCounter->result();
        refreshMapEstimate();
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(buildDatasets());
    layout->addWidget(buildGrid());
    layout->addWidget(buildCluster());
    setForm(EvaluationForm());
}

QWidget* EvaluationFormView::buildDatasets() {
    auto* dataBox = new QGroupBox(tr("Data sets (images + doctors' masks)"), this);
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
    connect(add, &QPushButton::clicked, this, &EvaluationFormView::addDatasetInteractively);
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_datasets->currentRow() >= 0)
            m_datasets->removeRow(m_datasets->currentRow());
        refreshMapEstimate();
    });
    connect(m_datasets, &QTableWidget::cellChanged, this, [this] { refreshMapEstimate(); });
    auto* dataButtons = new QHBoxLayout;
    dataButtons->addWidget(add);
    dataButtons->addWidget(remove);
    dataButtons->addStretch(1);
    dataLayout->addWidget(m_datasets);
    dataLayout->addLayout(dataButtons);
    return dataBox;
}

QWidget* EvaluationFormView::buildGrid() {
    auto* gridBox = new QGroupBox(tr("Grid"), this);
    auto* gridForm = new QFormLayout(gridBox);
    m_weights = addPathRow(gridForm, gridBox, tr("Weights"), QStringLiteral("evaluationWeights"),
                           tr("folder of <dataset>_<init>.pth"), PathKind::Folder, tr("Weights folder"));
    m_initBoxes = addCheckBoxRow(gridForm, gridBox, tr("Initialisations"), EvaluationForm::initChoices());
    for (QCheckBox* box : std::as_const(m_initBoxes))
        box->setToolTip(initTitle(box->text()));
    m_methodBoxes = addCheckBoxRow(gridForm, gridBox, tr("Methods"), EvaluationForm::methodChoices());
    for (QCheckBox* box : std::as_const(m_methodBoxes))
        box->setToolTip(QString::fromStdString(explain::methodDescription(box->text().toStdString())));
    for (QCheckBox* box : m_initBoxes + m_methodBoxes)
        connect(box, &QCheckBox::toggled, this, [this] { refreshMapEstimate(); });
    m_topK = new QLineEdit(gridBox);
    m_topK->setToolTip(tr("Percentages of the map's pixels kept for IoU@k"));
    gridForm->addRow(tr("k values (%)"), m_topK);
    m_target = new QComboBox(gridBox);
    m_target->setEditable(true);
    m_target->addItems({QStringLiteral("1"), QString::fromLatin1(explain::kPredictedTarget), QStringLiteral("0")});
    m_target->setToolTip(tr("Class explained: 1 as the study (the positive class), '%1', or a class index")
                             .arg(QString::fromLatin1(explain::kPredictedTarget)));
    gridForm->addRow(tr("Target class"), m_target);
    m_studyGradCam = new QCheckBox(tr("aug + eigen smoothing (the study's)"), gridBox);
    gridForm->addRow(tr("Grad-CAM"), m_studyGradCam);
    m_eigenSign = new QComboBox(gridBox);
    m_eigenSign->addItem(tr("as the study (SVD's sign)"), eigenSignData(explain::EigenSign::AsSvdReturns));
    m_eigenSign->addItem(tr("corrected"), eigenSignData(explain::EigenSign::Corrected));
    m_eigenSign->setToolTip(QString::fromLatin1(explain::eigenSignHelp()));
    gridForm->addRow(tr("Eigen sign"), m_eigenSign);
    m_cheferPrecision = makePrecisionCombo(gridBox);
    gridForm->addRow(tr("Chefer"), m_cheferPrecision);
    m_maskThreshold = new QSpinBox(gridBox);
    m_maskThreshold->setRange(0, 254);
    m_maskThreshold->setToolTip(tr("Mask inside = grey > threshold (0 for the study's boxes)"));
    gridForm->addRow(tr("Mask threshold"), m_maskThreshold);
    m_faithfulness = new QCheckBox(tr("deletion / insertion AUC (42 extra passes per map)"), gridBox);
    gridForm->addRow(tr("Beyond the study"), m_faithfulness);
    m_road = new QCheckBox(tr("ROAD, most / least relevant removed first (18 imputed images per map)"), gridBox);
    m_road->setToolTip(tr("Remove and debias (Rong et al. 2022): 10-90 % of the pixels removed and filled in from their "
                          "neighbours with a little noise, seeded by the run's seed"));
    gridForm->addRow(QString(), m_road);
    m_sanity = new QCheckBox(tr("sanity checks: maps of models with random layers, on the first"), gridBox);
    m_sanity->setToolTip(tr("Model-parameter randomisation (Adebayo et al. 2018): each model's layers re-initialised from the top, "
                            "cascading, seeded by the run's seed; the report marks methods whose maps survive (Spearman > 0.5 "
                            "with every layer random). About (blocks + 3) x methods explanations per image."));
    m_sanityImages = new QSpinBox(gridBox);
    m_sanityImages->setRange(1, 100000);
    m_sanityImages->setSuffix(tr(" images per data set"));
    auto* sanityRow = new QHBoxLayout;
    sanityRow->addWidget(m_sanity);
    sanityRow->addWidget(m_sanityImages);
    sanityRow->addStretch(1);
    gridForm->addRow(QString(), sanityRow);
    m_output = addPathRow(gridForm, gridBox, tr("Output"), QStringLiteral("evaluationOutput"),
                          tr("results folder (re-running resumes it)"), PathKind::Folder, tr("Results folder"));
    m_keepMaps = new QComboBox(gridBox);
    m_keepMaps->setObjectName(QStringLiteral("evaluationKeepMaps"));
    const QStringList storageHelp{tr("every map as float32 .npy, as explain writes them"),
                                  tr("half the disk; the scores are made from the rounded maps"),
                                  tr("only the scores (OUT/scores); the report shows no maps")};
    const QStringList storageChoices = EvaluationForm::keepMapsChoices();
    for (int i = 0; i < storageChoices.size(); ++i) {
        m_keepMaps->addItem(storageChoices[i]);
        m_keepMaps->setItemData(i, storageHelp.value(i), Qt::ToolTipRole);
    }
    m_keepMaps->setToolTip(tr("Which maps to keep in OUT/maps (evaluate --keep-maps); the tables need only the scores"));
    m_mapEstimate = new QLabel(gridBox);
    m_mapEstimate->setObjectName(QStringLiteral("mapStorageEstimate"));
    m_mapEstimate->setToolTip(tr("Disk the kept maps need: images with a mask x inits x methods x one map's .npy"));
    connect(m_keepMaps, &QComboBox::currentIndexChanged, this, [this] { refreshMapEstimate(); });
    auto* storageRow = new QHBoxLayout;
    storageRow->addWidget(m_keepMaps);
    storageRow->addWidget(m_mapEstimate, 1);
    gridForm->addRow(tr("Keep maps"), storageRow);
    return gridBox;
}

QWidget* EvaluationFormView::buildCluster() {
    auto* clusterBox = new QGroupBox(tr("Cluster (SLURM)"), this);
    auto* clusterForm = new QFormLayout(clusterBox);
    m_clusterTasks = new QSpinBox(clusterBox);
    m_clusterTasks->setObjectName(QStringLiteral("clusterTasks"));
    m_clusterTasks->setRange(1, 10000);
    m_clusterTasks->setToolTip(tr("Tasks of the array job: task I evaluates every N-th image into OUT/shards/I; a merge job "
                                  "joins them into the output folder once all have succeeded"));
    clusterForm->addRow(tr("Array tasks"), m_clusterTasks);
    m_sbatchArguments = new QLineEdit(clusterBox);
    m_sbatchArguments->setObjectName(QStringLiteral("sbatchArguments"));
    m_sbatchArguments->setPlaceholderText(QStringLiteral("--partition=cpu --time=2:00:00 --cpus-per-task=4"));
    m_sbatchArguments->setToolTip(tr("Your sbatch options for both jobs, quoted as in a shell; nothing else is requested "
                                     "(the cluster's defaults apply)"));
    clusterForm->addRow(tr("sbatch options"), m_sbatchArguments);
    m_cluster = clusterBox;
    return clusterBox;
}

void EvaluationFormView::setClusterAvailable(bool available) {
    m_cluster->setVisible(available);
}

void EvaluationFormView::addDatasetInteractively() {
    const QString images = QFileDialog::getExistingDirectory(this, tr("Images of the data set"));
    if (images.isEmpty())
        return;
    const QString siblingMasks = QFileInfo(images).absolutePath() + QStringLiteral("/masks");
    QString masks = QFileInfo(siblingMasks).isDir() ? siblingMasks : QString();
    if (masks.isEmpty())
        masks = QFileDialog::getExistingDirectory(this, tr("Masks of the data set (paired by file stem)"),
                                                  QFileInfo(images).absolutePath());
    addDataset({QFileInfo(QFileInfo(images).absolutePath()).fileName(), images, masks, QString()});
}

void EvaluationFormView::addDataset(const EvaluationDatasetRow& dataset) {
    const QSignalBlocker unfinishedRow(m_datasets); // form() reads whole rows: one estimate once it is complete
    const int row = m_datasets->rowCount();
    m_datasets->insertRow(row);
    m_datasets->setItem(row, NameColumn, new QTableWidgetItem(dataset.name));
    m_datasets->setItem(row, ImagesColumn, new QTableWidgetItem(dataset.imagesFolder));
    m_datasets->setItem(row, MasksColumn, new QTableWidgetItem(dataset.masksFolder));
    m_datasets->item(row, ImagesColumn)->setToolTip(dataset.imagesFolder);
    m_datasets->item(row, MasksColumn)->setToolTip(dataset.masksFolder);
    auto* recipeBox = new QComboBox(m_datasets);
    recipeBox->addItems(EvaluationForm::recipeChoices());
    recipeBox->setCurrentText(dataset.recipe);
    m_datasets->setCellWidget(row, RecipeColumn, recipeBox);
    refreshMapEstimate();
}

void EvaluationFormView::refreshMapEstimate() {
    const EvaluationForm current = form();
    const QString folders = datasetFolders(current);
    if (folders != m_countingFolders && !m_imageCounter->isRunning())
        countImages(current);
    // Independent of the images (no maps kept, no init or method ticked): said at once.
    if (current.mapStorageEstimate(0) == current.mapStorageEstimate(1))
        m_mapEstimate->setText(current.mapStorageEstimate(0));
    else if (current.datasets.isEmpty())
        m_mapEstimate->setText(tr("add a data set to see the disk its maps need"));
    else if (m_imageCounter->isRunning() || folders != m_countingFolders)
        m_mapEstimate->setText(tr("counting the images…"));
    else if (m_imagesPerInit < 0)
        m_mapEstimate->setText(tr("the data sets' folders are needed for an estimate"));
    else
        m_mapEstimate->setText(current.mapStorageEstimate(m_imagesPerInit));
}

void EvaluationFormView::countImages(const EvaluationForm& form) {
    m_countingFolders = datasetFolders(form);
    m_imagesPerInit = -1;
    m_imageCounter->setFuture(QtConcurrent::run([form] { return form.countImagesToExplain(); }));
}

EvaluationForm EvaluationFormView::form() const {
    EvaluationForm form;
    form.datasets.clear();
    for (int row = 0; row < m_datasets->rowCount(); ++row) {
        const auto* recipe = qobject_cast<QComboBox*>(m_datasets->cellWidget(row, RecipeColumn));
        form.datasets << EvaluationDatasetRow{m_datasets->item(row, NameColumn)->text(), m_datasets->item(row, ImagesColumn)->text(),
                                              m_datasets->item(row, MasksColumn)->text(), recipe ? recipe->currentText() : QString()};
    }
    form.weightsFolder = m_weights->text();
    form.inits = checked(m_initBoxes);
    form.methods = checked(m_methodBoxes);
    form.topK = m_topK->text();
    form.target = m_target->currentText();
    form.studyGradCam = m_studyGradCam->isChecked();
    form.eigenSign = explain::parseEigenSign(m_eigenSign->currentData().toString().toStdString()).value_or(form.eigenSign);
    form.cheferPrecision = comboPrecision(m_cheferPrecision);
    form.maskThreshold = m_maskThreshold->value();
    form.faithfulness = m_faithfulness->isChecked();
    form.road = m_road->isChecked();
    form.sanity = m_sanity->isChecked();
    form.sanityImages = m_sanityImages->value();
    form.outputFolder = m_output->text();
    form.keepMaps = m_keepMaps->currentText();
    form.clusterTasks = m_clusterTasks->value();
    form.sbatchArguments = m_sbatchArguments->text();
    return form;
}

void EvaluationFormView::setForm(const EvaluationForm& form) {
    m_datasets->setRowCount(0);
    for (const EvaluationDatasetRow& row : form.datasets)
        addDataset(row);
    m_weights->setText(form.weightsFolder);
    setChecked(m_initBoxes, form.inits);
    setChecked(m_methodBoxes, form.methods);
    m_topK->setText(form.topK);
    m_target->setCurrentText(form.target);
    m_studyGradCam->setChecked(form.studyGradCam);
    m_eigenSign->setCurrentIndex(std::max(0, m_eigenSign->findData(eigenSignData(form.eigenSign))));
    setComboPrecision(m_cheferPrecision, form.cheferPrecision);
    m_maskThreshold->setValue(form.maskThreshold);
    m_faithfulness->setChecked(form.faithfulness);
    m_road->setChecked(form.road);
    m_sanity->setChecked(form.sanity);
    m_sanityImages->setValue(form.sanityImages);
    m_output->setText(form.outputFolder);
    m_keepMaps->setCurrentIndex(std::max(0, static_cast<int>(EvaluationForm::keepMapsChoices().indexOf(form.keepMaps))));
    m_clusterTasks->setValue(form.clusterTasks);
    m_sbatchArguments->setText(form.sbatchArguments);
    refreshMapEstimate();
}

QString EvaluationFormView::outputFolder() const {
    return m_output->text();
}

} // namespace intermap::ui
