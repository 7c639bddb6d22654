#include "widgets/controls_dock.h"

#include "model/vocabulary.h"
#include "render/figure.h"
#include "widgets/precision_combo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace intermap::ui {

ControlsDock::ControlsDock(QWidget* parent) : QScrollArea(parent) {
    auto* container = new QWidget(this);
    auto* layout = new QVBoxLayout(container);
    layout->addWidget(buildMethods(container));
    layout->addWidget(buildComputation(container));
    layout->addWidget(buildDisplay(container));
    m_image = new ImageWindowBox(container);
    layout->addWidget(m_image);
    connect(m_image, &ImageWindowBox::readingChanged, this, &ControlsDock::settingsEdited);
    layout->addStretch(1);
    enableForMode();
    setWidget(container);
    setWidgetResizable(true);
    setMinimumWidth(container->sizeHint().width() + 20);
}

QWidget* ControlsDock::buildMethods(QWidget* parent) {
    auto* methods = new QGroupBox(tr("Methods"), parent);
    auto* methodsLayout = new QVBoxLayout(methods);
    m_mode = new QComboBox(methods);
    m_mode->addItem(tr("Methods side by side"));
    m_mode->addItem(tr("One method across inits"));
    m_mode->setToolTip(tr("Across inits: the chosen method for the current data set's four initialisations "
                          "(needs a weights folder), as in the study's figure"));
    methodsLayout->addWidget(m_mode);
    for (const QString& method : builtinMethods()) {
        auto* box = new QCheckBox(method, methods);
        box->setObjectName(QStringLiteral("method_") + method);
        box->setChecked(true);
        box->setToolTip(methodTooltip(method));
        methodsLayout->addWidget(box);
        m_methodBoxes << box;
        connect(box, &QCheckBox::toggled, this, &ControlsDock::settingsEdited);
    }
    m_initsMethod = new QComboBox(methods);
    m_initsMethod->addItems(builtinMethods());
    m_initsMethod->setCurrentText(ComparisonSettings().initsMethod);
    m_initsMethod->setToolTip(tr("The method compared across initialisations"));
    methodsLayout->addWidget(m_initsMethod);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &ControlsDock::settingsEdited);
    connect(m_initsMethod, &QComboBox::currentIndexChanged, this, &ControlsDock::settingsEdited);
    return methods;
}

QWidget* ControlsDock::buildComputation(QWidget* parent) {
    auto* options = new QGroupBox(tr("Computation"), parent);
    auto* form = new QFormLayout(options);
    m_target = new QComboBox(options);
    setClassChoices(2, {});
    m_target->setToolTip(tr("Class whose evidence the class-specific methods map"));
    form->addRow(tr("Target"), m_target);
    m_recipe = new QComboBox(options);
    m_recipe->addItem(tr("Resize (CP-CHILD, DUKE)"), QStringLiteral("resize"));
    m_recipe->addItem(tr("Centre crop (Kvasir, MURA)"), QStringLiteral("center-crop"));
    m_recipe->setToolTip(tr("The study's test-time pre-processing"));
    form->addRow(tr("Pre-processing"), m_recipe);
    m_inputSize = new QSpinBox(options);
    m_inputSize->setRange(ComparisonSettings::kSmallestInputSize, ComparisonSettings::kLargestInputSize);
    m_inputSize->setSingleStep(16);
    m_inputSize->setSuffix(tr(" px"));
    m_inputSize->setValue(ComparisonSettings().inputSize);
    m_inputSize->setKeyboardTracking(false); // one request per value typed, not per digit
    m_inputSize->setToolTip(tr("Every model runs at N x N px, a multiple of its patch size (224 = 16 x 14 suits both); "
                               "224 is the study's frame. A checkpoint made for another size has its position "
                               "embedding resampled as timm does."));
    form->addRow(tr("Input size"), m_inputSize);
    m_augSmooth = new QCheckBox(tr("aug-smooth"), options);
    m_augSmooth->setToolTip(tr("Grad-CAM: average 6 passes (flip x scale 0.9/1.0/1.1), the study's setting"));
    m_eigenSmooth = new QCheckBox(tr("eigen-smooth"), options);
    m_eigenSmooth->setToolTip(tr("Grad-CAM: first principal component instead of the weighted sum"));
    auto* smoothing = new QWidget(options);
    auto* smoothingLayout = new QHBoxLayout(smoothing);
    smoothingLayout->setContentsMargins(0, 0, 0, 0);
    smoothingLayout->addWidget(m_augSmooth);
    smoothingLayout->addWidget(m_eigenSmooth);
    form->addRow(tr("Grad-CAM"), smoothing);
    m_cheferPrecision = makePrecisionCombo(options);
    form->addRow(tr("Chefer"), m_cheferPrecision);
    m_maskThreshold = new QSpinBox(options);
    m_maskThreshold->setRange(0, 254);
    m_maskThreshold->setToolTip(tr("Mask inside = grey > threshold (0 for the study's boxes, 127 for JPEG masks)"));
    form->addRow(tr("Mask threshold"), m_maskThreshold);
    connect(m_target, &QComboBox::currentIndexChanged, this, &ControlsDock::settingsEdited);
    connect(m_recipe, &QComboBox::currentIndexChanged, this, &ControlsDock::settingsEdited);
    connect(m_inputSize, &QSpinBox::valueChanged, this, &ControlsDock::settingsEdited);
    connect(m_augSmooth, &QCheckBox::toggled, this, &ControlsDock::settingsEdited);
    connect(m_eigenSmooth, &QCheckBox::toggled, this, &ControlsDock::settingsEdited);
    connect(m_cheferPrecision, &QComboBox::currentIndexChanged, this, &ControlsDock::settingsEdited);
    connect(m_maskThreshold, &QSpinBox::valueChanged, this, &ControlsDock::settingsEdited);
    return options;
}

QWidget* ControlsDock::buildDisplay(QWidget* parent) {
    auto* display = new QGroupBox(tr("Display"), parent);
    auto* displayForm = new QFormLayout(display);
    m_colourMap = new QComboBox(display);
    m_colourMap->addItems(render::colourMapNames());
    m_colourMap->setToolTip(tr("jet as in the study; viridis and inferno are perceptually uniform"));
    displayForm->addRow(tr("Colour map"), m_colourMap);
    m_opacity = new QSlider(Qt::Horizontal, display);
    m_opacity->setRange(0, 100);
    m_opacity->setValue(50);
    m_opacity->setToolTip(tr("Map opacity over the image"));
    displayForm->addRow(tr("Opacity"), m_opacity);
    m_outline = new QCheckBox(tr("Show mask outline"), display);
    m_outline->setChecked(true);
    displayForm->addRow(QString(), m_outline);
    auto changed = [this] {
        if (!m_applying)
            Q_EMIT displayChanged();
    };
    connect(m_colourMap, &QComboBox::currentIndexChanged, this, changed);
    connect(m_opacity, &QSlider::valueChanged, this, changed);
    connect(m_outline, &QCheckBox::toggled, this, changed);
    return display;
}

void ControlsDock::settingsEdited() {
    if (m_applying)
        return;
    enableForMode();
    Q_EMIT settingsChanged();
}

void ControlsDock::enableForMode() {
    const bool methodsMode = m_mode->currentIndex() == 0;
    for (QCheckBox* box : m_methodBoxes)
        box->setEnabled(methodsMode);
    m_initsMethod->setEnabled(!methodsMode);
}

ComparisonSettings ControlsDock::settings() const {
    ComparisonSettings settings;
    settings.mode = m_mode->currentIndex() == 1 ? ComparisonSettings::Mode::Inits : ComparisonSettings::Mode::Methods;
    settings.methods.clear();
    for (QCheckBox* box : m_methodBoxes)
        if (box->isChecked())
            settings.methods << box->text();
    settings.initsMethod = m_initsMethod->currentText();
    settings.explainOptions.targetClass = explain::parseTarget(m_target->currentData().toString().toStdString()).target;
    settings.recipe = m_recipe->currentData().toString();
    settings.inputSize = m_inputSize->value();
    settings.explainOptions.augSmooth = m_augSmooth->isChecked();
    settings.explainOptions.eigenSmooth = m_eigenSmooth->isChecked();
    settings.explainOptions.cheferPrecision = comboPrecision(m_cheferPrecision);
    settings.maskThreshold = m_maskThreshold->value();
    settings.reading = m_image->reading();
    return settings;
}

void ControlsDock::setSettings(const ComparisonSettings& settings) {
    m_applying = true;
    for (QCheckBox* box : m_methodBoxes)
        box->setChecked(settings.methods.contains(box->text()));
    m_mode->setCurrentIndex(settings.mode == ComparisonSettings::Mode::Inits ? 1 : 0);
    if (m_initsMethod->findText(settings.initsMethod) >= 0)
        m_initsMethod->setCurrentText(settings.initsMethod);
    setTarget(settings.explainOptions.targetClass);
    m_recipe->setCurrentIndex(std::max(0, m_recipe->findData(settings.recipe)));
    m_inputSize->setValue(settings.inputSize);
    m_augSmooth->setChecked(settings.explainOptions.augSmooth);
    m_eigenSmooth->setChecked(settings.explainOptions.eigenSmooth);
    setComboPrecision(m_cheferPrecision, settings.explainOptions.cheferPrecision);
    m_maskThreshold->setValue(settings.maskThreshold);
    m_applying = false;
    settingsEdited();
}

void ControlsDock::setTarget(const std::optional<std::int64_t>& target) {
    m_target->setCurrentIndex(std::max(0, m_target->findData(targetText(target))));
}

PanelDisplay ControlsDock::display() const {
    PanelDisplay display;
    display.colourMap = m_colourMap->currentText();
    display.opacity = m_opacity->value() / 100.0;
    display.showOutline = m_outline->isChecked();
    return display;
}

void ControlsDock::setDisplay(const PanelDisplay& display) {
    m_applying = true;
    if (m_colourMap->findText(display.colourMap) >= 0)
        m_colourMap->setCurrentText(display.colourMap);
    m_opacity->setValue(static_cast<int>(std::lround(display.opacity * 100.0)));
    m_outline->setChecked(display.showOutline);
    m_applying = false;
    Q_EMIT displayChanged();
}

void ControlsDock::setMethods(const QStringList& methods) {
    ComparisonSettings changed = settings();
    changed.methods = methods;
    setSettings(changed);
}

void ControlsDock::setInputSize(int size) {
    ComparisonSettings changed = settings();
    changed.inputSize = size;
    setSettings(changed);
}

void ControlsDock::setAcrossInits(bool acrossInits, const QString& method) {
    ComparisonSettings changed = settings();
    changed.mode = acrossInits ? ComparisonSettings::Mode::Inits : ComparisonSettings::Mode::Methods;
    if (!method.isEmpty())
        changed.initsMethod = method;
    setSettings(changed);
}

void ControlsDock::setClassChoices(int numClasses, const QStringList& classNames) {
    const QSignalBlocker blocker(m_target);
    const QString previous = m_target->currentData().toString();
    m_target->clear();
    m_target->addItem(tr("Predicted class"), QString::fromLatin1(explain::kPredictedTarget));
    for (int c = 0; c < numClasses; ++c) {
        const QString name = classNames.value(c);
        m_target->addItem(name.isEmpty() ? tr("Class %1").arg(c) : tr("Class %1 (%2)").arg(c).arg(name), QString::number(c));
    }
    m_target->setCurrentIndex(std::max(0, m_target->findData(previous)));
}

void ControlsDock::toggleOutline() {
    m_outline->toggle();
}

} // namespace intermap::ui
