#include "widgets/trust_form_view.h"

#include "model/vocabulary.h"
#include "widgets/form_rows.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace intermap::ui {

TrustFormView::TrustFormView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* what = new QGroupBox(tr("What to test"), this);
    auto* whatForm = new QFormLayout(what);
    m_checkpoint = addPathRow(whatForm, what, tr("Model"), QStringLiteral("trustCheckpoint"),
                              tr("the comparison's model"), PathKind::File, tr("Checkpoint"));
    m_checkpoint->setToolTip(tr("The trained checkpoint whose layers are re-initialised (default: the comparison's model)"));
    auto* methods = new QWidget(what);
    auto* methodsLayout = new QVBoxLayout(methods);
    methodsLayout->setContentsMargins(0, 0, 0, 0);
    for (const QString& method : TrustForm::methodChoices()) {
        auto* box = new QCheckBox(method, methods);
        box->setObjectName(QStringLiteral("trustMethod_") + method);
        box->setToolTip(methodTooltip(method));
        methodsLayout->addWidget(box);
        m_methodBoxes << box;
    }
    whatForm->addRow(tr("Methods"), methods);
    auto* images = new QWidget(what);
    auto* imagesLayout = new QVBoxLayout(images);
    imagesLayout->setContentsMargins(0, 0, 0, 0);
    m_currentImage = new QRadioButton(images);
    m_currentImage->setObjectName(QStringLiteral("trustCurrentImage"));
    m_selectedImages = new QRadioButton(images);
    m_selectedImages->setObjectName(QStringLiteral("trustSelectedImages"));
    m_selectedImages->setToolTip(tr("The images selected in the Compare page's image browser (Ctrl+click, Shift+click); "
                                    "the strip shows the first, the curves the mean over all"));
    imagesLayout->addWidget(m_currentImage);
    imagesLayout->addWidget(m_selectedImages);
    whatForm->addRow(tr("Images"), images);
    layout->addWidget(what);

    auto* how = new QGroupBox(tr("Randomisation"), this);
    auto* howForm = new QFormLayout(how);
    m_mode = new QComboBox(how);
    m_mode->setObjectName(QStringLiteral("trustMode"));
    m_mode->addItems(TrustForm::modeChoices());
    m_mode->setToolTip(tr("cascading: stage s has the top s layer groups re-initialised (head, then the blocks from the last, "
                          "then the embedding); independent: only group s"));
    howForm->addRow(tr("Mode"), m_mode);
    m_seed = new QSpinBox(how);
    m_seed->setObjectName(QStringLiteral("trustSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("Seed of the random re-initialisation: the same seed gives the same maps"));
    howForm->addRow(tr("Seed"), m_seed);
    m_computation = new QLabel(how);
    m_computation->setObjectName(QStringLiteral("trustComputation"));
    m_computation->setWordWrap(true);
    m_computation->setToolTip(tr("Input size, pre-processing, target class and method options are the Compare page's, "
                                 "so the test explains the maps shown there; change them there"));
    howForm->addRow(tr("As compared"), m_computation);
    layout->addWidget(how);

    auto* output = new QGroupBox(tr("Output"), this);
    auto* outputForm = new QFormLayout(output);
    m_output = addPathRow(outputForm, output, tr("Folder"), QStringLiteral("trustOutput"), tr("a new, empty folder"),
                          PathKind::Folder, tr("Output folder (new or empty)"));
    m_output->setToolTip(tr("maps/stage<s>/<method>/<image>.npy, randomization.csv and summary.json are written here; "
                            "a folder that already holds files is refused"));
    auto* open = new QPushButton(tr("Open folder"), output);
    open->setObjectName(QStringLiteral("trustOpenFolder"));
    connect(open, &QPushButton::clicked, this, [this] {
        const QString folder = m_output->text().trimmed();
        if (folder.isEmpty())
            return;
        QDir().mkpath(folder); // an empty folder is still a valid output folder
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(folder).absoluteFilePath()));
    });
    outputForm->addRow(QString(), open);
    layout->addWidget(output);
    setForm(TrustForm());
}

void TrustFormView::showImageChoices() {
    m_currentImage->setText(m_form.currentImage.isEmpty()
                                ? tr("Current image (none chosen)")
                                : tr("Current image: %1").arg(QFileInfo(m_form.currentImage).fileName()));
    m_currentImage->setToolTip(m_form.currentImage);
    m_selectedImages->setText(tr("Browser selection: %n image(s)", nullptr, static_cast<int>(m_form.selectedImages.size())));
}

TrustForm TrustFormView::form() const {
    TrustForm form = m_form;
    form.checkpoint = m_checkpoint->text().trimmed();
    form.methods.clear();
    for (QCheckBox* box : m_methodBoxes)
        if (box->isChecked())
            form.methods << box->text();
    form.imageSource = m_selectedImages->isChecked() ? TrustForm::ImageSource::Selection : TrustForm::ImageSource::Current;
    form.mode = m_mode->currentText();
    form.seed = static_cast<quint64>(m_seed->value());
    form.outputFolder = m_output->text().trimmed();
    return form;
}

void TrustFormView::setForm(const TrustForm& form) {
    m_form = form;
    m_checkpoint->setText(form.checkpoint);
    for (QCheckBox* box : m_methodBoxes)
        box->setChecked(form.methods.contains(box->text()));
    (form.imageSource == TrustForm::ImageSource::Selection ? m_selectedImages : m_currentImage)->setChecked(true);
    m_mode->setCurrentText(form.mode);
    m_seed->setValue(static_cast<int>(std::min<quint64>(form.seed, static_cast<quint64>(m_seed->maximum()))));
    m_output->setText(form.outputFolder);
    m_computation->setText(form.computationSummary());
    showImageChoices();
}

} // namespace intermap::ui
