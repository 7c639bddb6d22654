#pragma once
// The comparison dock's "Image" group: the frame of a multi-frame DICOM, the display window/level
// (centre and width boxes, the file's presets, reset; a right-drag on the image moves it — the
// main window forwards it to dragWindow), the "model input uses this window" switch (off by
// default, so window/level changes the display only) and the image-info panel. Holds only its
// widgets; reading() is what the controller takes.
#include "view/image_window.h"

#include <QGroupBox>

#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace intermap::ui {

class ImageWindowBox : public QGroupBox {
    Q_OBJECT
public:
    explicit ImageWindowBox(QWidget* parent = nullptr);

    view::ImageReading reading() const;
    // Puts a reading back (a session, the command line); emits readingChanged once.
    void setReading(const view::ImageReading& reading);
    // A new image: frame 1 and the file's window (the switch stays as the user set it).
    void resetForNewImage();
    // The shown image's facts: enables the DICOM controls, fills the presets and the info panel.
    void setFacts(const view::ImageFacts& facts);
    // A right-drag of `delta` widget pixels since the drag started (press position).
    void beginWindowDrag();
    void dragWindow(QPoint delta);

Q_SIGNALS:
    void readingChanged();

private:
    void edited();
    void showWindow(double center, double width); // fills the boxes without a signal
    void selectPreset();                          // the combo entry matching m_window, if any

    QSpinBox* m_frame;
    QComboBox* m_presets;
    QDoubleSpinBox* m_center;
    QDoubleSpinBox* m_width;
    QPushButton* m_reset;
    QCheckBox* m_modelUsesWindow;
    QLabel* m_info;
    std::vector<view::WindowPreset> m_presetList; // the combo's entries, in order
    image::WindowChoice m_window; // what the boxes and presets say
    std::optional<image::DicomWindow> m_shownWindow; // from the facts: where a drag starts from
    std::optional<image::DicomWindow> m_dragStart;
    bool m_applying = false;
};

} // namespace intermap::ui
