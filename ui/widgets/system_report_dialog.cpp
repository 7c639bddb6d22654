#include "widgets/system_report_dialog.h"

#include "intermap/system/system_report.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFutureWatcher>
#include <QGuiApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace intermap::ui {
namespace {

struct ReportResult {
    QString text;
    bool hasProblem = false;
};

} // namespace

SystemReportDialog::SystemReportDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("System report"));
    m_verdict = new QLabel(this);
    m_verdict->setWordWrap(true);
    m_text = new QPlainTextEdit(this);
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_copy = buttons->addButton(tr("&Copy"), QDialogButtonBox::ActionRole);
    m_refresh = buttons->addButton(tr("&Examine again"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_copy, &QPushButton::clicked, this, [this] { QGuiApplication::clipboard()->setText(m_text->toPlainText()); });
    connect(m_refresh, &QPushButton::clicked, this, &SystemReportDialog::refresh);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_verdict);
    layout->addWidget(m_text, 1);
    layout->addWidget(buttons);
    resize(900, 640);
}

void SystemReportDialog::refresh() {
    m_verdict->setText(tr("Examining this machine (a few matrix products)…"));
    m_text->clear();
    m_copy->setEnabled(false);
    m_refresh->setEnabled(false);
    auto* watcher = new QFutureWatcher<ReportResult>(this);
    connect(watcher, &QFutureWatcher<ReportResult>::finished, this, [this, watcher] {
        const ReportResult result = watcher->result();
        watcher->deleteLater();
        showReport(result.text, result.hasProblem);
    });
    // Values only cross back: the report is formatted on the pool thread.
    watcher->setFuture(QtConcurrent::run([] {
        ReportResult result;
        try {
            const system::SystemReport report = system::examineSystem();
            result.text = QString::fromStdString(system::formatSystemReport(report));
            result.hasProblem = report.hasProblem();
        } catch (const std::exception& error) {
            result.text = tr("The machine could not be examined: %1").arg(QString::fromUtf8(error.what()));
            result.hasProblem = true;
        }
        return result;
    }));
}

QString SystemReportDialog::reportText() const {
    return m_text->toPlainText();
}

void SystemReportDialog::showReport(const QString& text, bool hasProblem) {
    m_hasProblem = hasProblem;
    m_text->setPlainText(text);
    m_verdict->setText(hasProblem ? tr("<b style='color:#b00020'>Something here makes intermap slow or fail</b>: "
                                       "the problems and their fixes are at the end of the report.")
                                  : tr("<b>No problem found.</b> The same report: <code>intermap-cli doctor</code>."));
    m_copy->setEnabled(true);
    m_refresh->setEnabled(true);
    Q_EMIT reportShown();
}

} // namespace intermap::ui
