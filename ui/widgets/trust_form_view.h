#pragma once
// The Trust page's form widgets as a view over TrustForm (ui/model/trust_form.h): the model, the
// methods, the images (the comparison's current image or the browser's selection), the
// randomisation mode and seed, the output folder with "Open folder", and a read-only line saying
// which of the comparison's settings the maps are computed with. form() reads what the user set,
// setForm() shows a form; what it means (validation, settings) lives in the model.
#include "model/trust_form.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace intermap::ui {

class TrustFormView : public QWidget {
    Q_OBJECT
public:
    explicit TrustFormView(QWidget* parent = nullptr);

    TrustForm form() const;
    void setForm(const TrustForm& form);

private:
    void showImageChoices(); // the radio buttons' texts: which image, how many selected

    TrustForm m_form; // the parts the page does not edit (the comparison's settings, its images)
    QLineEdit* m_checkpoint;
    QVector<QCheckBox*> m_methodBoxes;
    QRadioButton* m_currentImage;
    QRadioButton* m_selectedImages;
    QComboBox* m_mode;
    QSpinBox* m_seed;
    QLineEdit* m_output;
    QLabel* m_computation;
};

} // namespace intermap::ui
