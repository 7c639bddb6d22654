#include "widgets/image_window_box.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>

#include <QSignalBlocker>

#include <algorithm>

namespace intermap::ui {

ImageWindowBox::ImageWindowBox(QWidget* parent) : QGroupBox(tr("Image: frame and window"), parent) {
    auto* form = new QFormLayout(this);
    m_frame = new QSpinBox(this);
    m_frame->setObjectName(QStringLiteral("frame"));
    m_frame->setRange(1, 1);
    m_frame->setToolTip(tr("Frame of a multi-frame file, numbered from 1"));
    form->addRow(tr("Frame"), m_frame);
    m_presets = new QComboBox(this);
    m_presets->setObjectName(QStringLiteral("windowPresets"));
    m_presets->setToolTip(tr("The file's windows, its default rule, or the frame's min-max"));
    form->addRow(tr("Window"), m_presets);
    const double big = 1e7;
    m_center = new QDoubleSpinBox(this);
    m_center->setObjectName(QStringLiteral("windowCenter"));
    m_center->setRange(-big, big);
    m_center->setDecimals(1);
    m_width = new QDoubleSpinBox(this);
    m_width->setObjectName(QStringLiteral("windowWidth"));
    m_width->setRange(1, big);
    m_width->setDecimals(1);
    for (QDoubleSpinBox* box : {m_center, m_width})
        box->setKeyboardTracking(false); // one change per value typed, not per digit
    auto* levels = new QWidget(this);
    auto* levelsLayout = new QHBoxLayout(levels);
    levelsLayout->setContentsMargins(0, 0, 0, 0);
    levelsLayout->addWidget(new QLabel(tr("C"), levels));
    levelsLayout->addWidget(m_center, 1);
    levelsLayout->addWidget(new QLabel(tr("W"), levels));
    levelsLayout->addWidget(m_width, 1);
    form->addRow(tr("Level"), levels);
    m_reset = new QPushButton(tr("Reset window"), this);
    m_reset->setToolTip(tr("Back to the file's own window (right-drag on the image changes it)"));
    form->addRow(QString(), m_reset);
    m_modelUsesWindow = new QCheckBox(tr("Model input uses this window"), this);
    m_modelUsesWindow->setObjectName(QStringLiteral("modelUsesWindow"));
    m_modelUsesWindow->setToolTip(tr("Off: window/level changes the display only and the model sees the file's window "
                                     "(the model-input rule). On: the maps are recomputed with the window shown."));
    form->addRow(QString(), m_modelUsesWindow);
    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("imageInfo"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(m_info);
    setFacts({});

    connect(m_frame, &QSpinBox::valueChanged, this, &ImageWindowBox::edited);
    connect(m_presets, &QComboBox::activated, this, [this](int index) {
        if (index < 0 || index >= static_cast<int>(m_presetList.size()))
            return;
        m_window = m_presetList[static_cast<std::size_t>(index)].choice;
        if (m_window.kind == image::WindowChoice::Kind::Explicit)
            showWindow(m_window.center, m_window.width);
        edited();
    });
    const auto typed = [this] {
        if (m_applying)
            return;
        m_window = image::WindowChoice{image::WindowChoice::Kind::Explicit, m_center->value(), m_width->value()};
        edited();
    };
    connect(m_center, &QDoubleSpinBox::valueChanged, this, typed);
    connect(m_width, &QDoubleSpinBox::valueChanged, this, typed);
    connect(m_reset, &QPushButton::clicked, this, [this] {
        m_window = image::WindowChoice{};
        edited();
    });
    connect(m_modelUsesWindow, &QCheckBox::toggled, this, &ImageWindowBox::edited);
}

view::ImageReading ImageWindowBox::reading() const {
    view::ImageReading reading;
    reading.frame = m_frame->value();
    reading.displayWindow = m_window;
    reading.modelUsesDisplayWindow = m_modelUsesWindow->isChecked();
    return reading;
}

void ImageWindowBox::setReading(const view::ImageReading& reading) {
    m_applying = true;
    m_frame->setMaximum(std::max(m_frame->maximum(), reading.frame));
    m_frame->setValue(reading.frame);
    m_window = reading.displayWindow;
    if (m_window.kind == image::WindowChoice::Kind::Explicit)
        showWindow(m_window.center, m_window.width);
    selectPreset();
    m_modelUsesWindow->setChecked(reading.modelUsesDisplayWindow);
    m_applying = false;
    edited();
}

void ImageWindowBox::resetForNewImage() {
    m_applying = true;
    m_frame->setValue(1);
    m_window = image::WindowChoice{};
    selectPreset();
    m_applying = false;
}

void ImageWindowBox::setFacts(const view::ImageFacts& facts) {
    m_applying = true;
    const bool dicom = facts.dicom.has_value();
    m_frame->setMaximum(dicom ? std::max(1, facts.dicom->frames) : 1);
    m_frame->setEnabled(dicom && facts.dicom->frames > 1);
    // A non-DICOM image with a window is a 16-bit grey PNG/TIFF (image_read_options.h).
    const bool sixteenBitGrey = !dicom && facts.window.has_value();
    m_presetList = dicom            ? view::windowPresets(*facts.dicom)
                   : sixteenBitGrey ? view::sixteenBitGreyPresets()
                                    : std::vector<view::WindowPreset>{};
    m_presets->clear();
    for (const view::WindowPreset& preset : m_presetList)
        m_presets->addItem(preset.name);
    selectPreset();
    // Window/level applies to grey images with a linear VOI (not colour, not 8-bit, not a VOI LUT
    // shown as is).
    const bool windowable = facts.window.has_value();
    for (QWidget* widget : {static_cast<QWidget*>(m_presets), static_cast<QWidget*>(m_center),
                            static_cast<QWidget*>(m_width), static_cast<QWidget*>(m_reset),
                            static_cast<QWidget*>(m_modelUsesWindow)})
        widget->setEnabled(windowable);
    m_shownWindow = facts.window;
    if (facts.window)
        showWindow(facts.window->center, facts.window->width);
    m_info->setText(dicom            ? view::imageInfoLines(*facts.dicom, facts.voi).join(QLatin1Char('\n'))
                    : sixteenBitGrey ? tr("Not DICOM: %1. Window/level as for DICOM.").arg(facts.voi)
                                     : tr("Not DICOM, not 16-bit grey: shown as stored (no window/level)."));
    m_applying = false;
}

void ImageWindowBox::beginWindowDrag() {
    m_dragStart = m_window.kind == image::WindowChoice::Kind::Explicit
                      ? std::optional<image::DicomWindow>(image::DicomWindow{m_window.center, m_window.width, {}})
                      : m_shownWindow;
}

void ImageWindowBox::dragWindow(QPoint delta) {
    if (!m_dragStart || !m_center->isEnabled())
        return;
    m_window = view::draggedWindow(*m_dragStart, delta);
    m_applying = true;
    showWindow(m_window.center, m_window.width);
    selectPreset();
    m_applying = false;
    edited();
}

void ImageWindowBox::edited() {
    if (!m_applying)
        Q_EMIT readingChanged();
}

void ImageWindowBox::showWindow(double center, double width) {
    const bool wasApplying = m_applying;
    m_applying = true;
    m_center->setValue(center);
    m_width->setValue(width);
    m_applying = wasApplying;
}

void ImageWindowBox::selectPreset() {
    const QSignalBlocker blocker(m_presets);
    for (std::size_t i = 0; i < m_presetList.size(); ++i) {
        const image::WindowChoice& choice = m_presetList[i].choice;
        if (choice.kind == m_window.kind &&
            (choice.kind != image::WindowChoice::Kind::Explicit ||
             (choice.center == m_window.center && choice.width == m_window.width))) {
            m_presets->setCurrentIndex(static_cast<int>(i));
            return;
        }
    }
    m_presets->setCurrentIndex(-1); // a window of the user's own
}

} // namespace intermap::ui
