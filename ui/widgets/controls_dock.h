#pragma once
// The comparison's "Methods and display" dock: which methods (or one method across inits), the
// explain options, the pre-processing and mask threshold, and how maps are drawn. It holds no
// state of its own beyond its widgets: settings() and display() read them as the values the
// controller and the view take, setSettings()/setDisplay() put a saved session back.
#include "widgets/comparison_controller.h"
#include "widgets/image_window_box.h"
#include "widgets/map_panel.h"

#include <QScrollArea>

class QCheckBox;
class QComboBox;
class QSlider;
class QSpinBox;

namespace intermap::ui {

class ControlsDock : public QScrollArea {
    Q_OBJECT
public:
    explicit ControlsDock(QWidget* parent = nullptr);

    ComparisonSettings settings() const;
    // Emits settingsChanged once, not once per widget.
    void setSettings(const ComparisonSettings& settings);
    PanelDisplay display() const;
    void setDisplay(const PanelDisplay& display);
    void setMethods(const QStringList& methods);
    void setInputSize(int size); // pixels, clamped to the spin box's range
    void setAcrossInits(bool acrossInits, const QString& method);
    // The target picker follows the model's classes; the chosen target stays when it exists.
    void setClassChoices(int numClasses, const QStringList& classNames);
    void toggleOutline();
    ImageWindowBox* imageBox() const { return m_image; }

Q_SIGNALS:
    void settingsChanged(); // anything that changes a map or the panels
    void displayChanged();  // colour map, opacity, outline

private:
    QWidget* buildMethods(QWidget* parent);
    QWidget* buildComputation(QWidget* parent);
    QWidget* buildDisplay(QWidget* parent);
    void settingsEdited();
    void enableForMode(); // the method boxes in the side-by-side mode, the one method across inits
    void setTarget(const std::optional<std::int64_t>& target);

    QVector<QCheckBox*> m_methodBoxes;
    QComboBox* m_mode;
    QComboBox* m_initsMethod;
    QComboBox* m_target;
    QComboBox* m_recipe;
    QSpinBox* m_inputSize;
    QCheckBox* m_augSmooth;
    QCheckBox* m_eigenSmooth;
    QComboBox* m_cheferPrecision;
    QSpinBox* m_maskThreshold;
    QComboBox* m_colourMap;
    QSlider* m_opacity;
    QCheckBox* m_outline;
    ImageWindowBox* m_image;
    bool m_applying = false; // setSettings/setDisplay: one signal at the end
};

} // namespace intermap::ui
