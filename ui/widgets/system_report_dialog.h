#pragma once
// Help > System report: the same report as `intermap-cli doctor` (core's system::examineSystem),
// computed off the GUI thread (its matrix-product timing takes about a second) and shown as text
// that can be copied into a bug report.
#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace intermap::ui {

class SystemReportDialog : public QDialog {
    Q_OBJECT
public:
    explicit SystemReportDialog(QWidget* parent = nullptr);

    // Starts examining the machine (again); reportShown follows when the text is there.
    void refresh();
    QString reportText() const;
    bool hasProblem() const { return m_hasProblem; }

Q_SIGNALS:
    void reportShown();

private:
    void showReport(const QString& text, bool hasProblem);

    QLabel* m_verdict;
    QPlainTextEdit* m_text;
    QPushButton* m_copy;
    QPushButton* m_refresh;
    bool m_hasProblem = false;
};

} // namespace intermap::ui
