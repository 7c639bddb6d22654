// Help > System report and Help > About through the main window's menu (offscreen): the report
// is computed off the GUI thread and shows the same text as `intermap-cli doctor`; the About box
// names the licence. With INTERMAP_TEST_OUTPUT_DIR set, both are saved as PNG to look at.
#include "widgets/main_window.h"
#include "widgets/system_report_dialog.h"

#include "intermap/compute/threading.h"

#include <QAction>
#include <QApplication>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTimer>
#include <QtTest/QtTest>

using namespace intermap;

namespace {

QAction* helpAction(ui::MainWindow& window, const QString& text) {
    for (QAction* menu : window.menuBar()->actions())
        if (menu->menu() && menu->text().remove(QLatin1Char('&')) == QStringLiteral("Help"))
            for (QAction* action : menu->menu()->actions())
                if (action->text().remove(QLatin1Char('&')).startsWith(text))
                    return action;
    return nullptr;
}

void saveForLooking(QWidget* widget, const QString& name) {
    const QString folder = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
    if (!folder.isEmpty())
        widget->grab().save(folder + QLatin1Char('/') + name);
}

} // namespace

class TestSystemReportDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        compute::applyThreadPolicy(compute::threadPolicyFromEnvironment());
        QSettings().clear();
    }

    void helpMenuShowsTheDoctorReport() {
        ui::MainWindow window;
        window.show();
        QAction* action = helpAction(window, QStringLiteral("System report"));
        QVERIFY(action);
        action->trigger();
        auto* dialog = window.findChild<ui::SystemReportDialog*>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QSignalSpy shown(dialog, &ui::SystemReportDialog::reportShown);
        // The GUI thread stays free while the machine is examined: the dialog exists and is
        // visible before the report is there, and events are processed while waiting.
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() == 1, 60000);
        const QString text = dialog->reportText();
        for (const char* part : {"LibTorch", "BLAS", "GFLOP/s", "threads", "platform plugins", "Folders", "OpenCV", "GDCM", "Verdict:"})
            QVERIFY2(text.contains(QString::fromLatin1(part)), qPrintable(QStringLiteral("missing '%1' in:\n%2").arg(QString::fromLatin1(part), text)));
        QVERIFY2(!dialog->hasProblem(), qPrintable(text));
        saveForLooking(dialog, QStringLiteral("system_report.png"));
        // Asked again, the same dialog comes back.
        QCOMPARE(window.showSystemReport(), dialog);
    }

    void aboutBoxNamesTheLicence() {
        ui::MainWindow window;
        window.setWindowIcon(QIcon(QStringLiteral(INTERMAP_SOURCE_DIR "/resources/org.intermap.Intermap.svg")));
        window.show();
        QAction* action = helpAction(window, QStringLiteral("About intermap"));
        QVERIFY(action);
        QString shownText;
        bool hadIcon = false;
        // QMessageBox::about runs its own event loop: look at it from inside, then close it.
        QTimer::singleShot(100, &window, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box)
                return;
            shownText = box->text();
            hadIcon = !box->iconPixmap().isNull();
            saveForLooking(box, QStringLiteral("about.png"));
            box->accept();
        });
        action->trigger();
        QVERIFY2(shownText.contains(QStringLiteral("GPL-3.0-or-later")), qPrintable(shownText));
        QVERIFY(shownText.contains(QStringLiteral("intermap ")));
        QVERIFY2(hadIcon, "the About box shows the window's icon");
    }
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    TestSystemReportDialog test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_system_report_dialog.moc"
