// The Evaluate page's "Keep maps" choice, driven through the panel's own widgets (offscreen): the
// label beside it says the disk the chosen maps need for the grid on the page (the images counted
// off the GUI thread), and choosing "none" runs the grid without writing a map — the tables and
// the score journal are written, OUT/maps holds no .npy — with the choice recorded in the run.
#include "widgets/evaluation_panel.h"
#include "widgets/job_runner.h"

#include "cpchild_subset.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QApplication>
#include <QComboBox>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::ui::EvaluationPanel;
using intermap::ui::JobRunner;

namespace {

QStringList filesUnder(const QString& folder, const QString& pattern) {
    QStringList files;
    QDirIterator it(folder, {pattern}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    return files;
}

} // namespace

class TestEvaluationKeepMaps : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_images, m_masks, m_weights;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) { // outputs and the screenshot, to look at by hand
            m_work.setAutoRemove(false);
            qInfo("outputs kept in %s", qPrintable(m_work.path()));
        }
        m_images = m_work.filePath(QStringLiteral("images"));
        m_masks = m_work.filePath(QStringLiteral("masks"));
        const QString copied = intermap::test::copyCpChildPolyps(3, m_images, m_masks);
        QVERIFY2(copied.isEmpty(), qPrintable(copied));
        m_weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(m_weights));
        intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_sup.pth"), 5);
    }

    void estimateFollowsTheChoiceAndNoneWritesNoMaps() {
        JobRunner runner;
        EvaluationPanel panel(&runner);
        panel.resize(1300, 950);
        panel.show();
        const QString out = m_work.filePath(QStringLiteral("scores only"));
        panel.addDataset(QStringLiteral("cpchild"), m_images, m_masks);
        panel.setWeightsFolder(m_weights);
        panel.setInits({QStringLiteral("sup")});
        panel.setMethods({QStringLiteral("gradcam"), QStringLiteral("attention")});
        panel.setOutputFolder(out);
        auto* keepMaps = panel.findChild<QComboBox*>(QStringLiteral("evaluationKeepMaps"));
        auto* estimate = panel.findChild<QLabel*>(QStringLiteral("mapStorageEstimate"));
        QVERIFY(keepMaps && estimate);
        QCOMPARE(keepMaps->currentText(), QStringLiteral("full"));
        // 3 images x 1 init x 2 methods = 6 maps of 200 832 bytes; counted on the pool, shown when done.
        QTRY_COMPARE(estimate->text(), QStringLiteral("about 1.2 MB (6 maps of 224x224, float32)"));
        keepMaps->setCurrentText(QStringLiteral("float16"));
        QCOMPARE(estimate->text(), QStringLiteral("about 603 kB (6 maps of 224x224, float16)"));
        panel.setInits({QStringLiteral("sup"), QStringLiteral("dino")}); // the estimate counts every ticked init
        QTRY_COMPARE(estimate->text(), QStringLiteral("about 1.2 MB (12 maps of 224x224, float16)"));
        panel.setInits({QStringLiteral("sup")});
        keepMaps->setCurrentText(QStringLiteral("none"));
        QCOMPARE(estimate->text(), QStringLiteral("none: scores only"));
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) {
            keepMaps->setCurrentText(QStringLiteral("full"));
            QTRY_VERIFY(estimate->text().startsWith(QStringLiteral("about")));
            panel.grab().save(m_work.filePath(QStringLiteral("evaluate-page-keep-maps.png")));
            keepMaps->setCurrentText(QStringLiteral("none"));
        }
        QCOMPARE(panel.saveState().value(QStringLiteral("keep_maps")).toString(), QStringLiteral("none"));

        QSignalSpy finished(&panel, &EvaluationPanel::evaluationFinished);
        QString error;
        QVERIFY2(panel.start(&error) > 0, qPrintable(error));
        QVERIFY(finished.wait(300000));
        QVERIFY2(finished[0][0].toBool(), qPrintable(finished[0][1].toString()));

        // The tables and the score journal, no map: the run was made with --keep-maps none.
        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResults(), 60000); // read off the GUI thread
        QVERIFY(QFileInfo::exists(out + QStringLiteral("/pg_cpchild.csv")));
        QCOMPARE(filesUnder(out, QStringLiteral("*.npy")), QStringList());
        for (const char* method : {"gradcam", "attention"}) {
            QFile journal(out + QStringLiteral("/scores/cpchild/sup/") + QLatin1String(method) + QStringLiteral(".csv"));
            QVERIFY2(journal.open(QIODevice::ReadOnly), qPrintable(journal.fileName()));
            QCOMPARE(journal.readAll().count('\n'), 1 + 3); // header + one row per image
        }
        QFile record(out + QStringLiteral("/evaluation.json"));
        QVERIFY(record.open(QIODevice::ReadOnly));
        const QJsonObject settings = QJsonDocument::fromJson(record.readAll()).object().value(QStringLiteral("settings")).toObject();
        QCOMPARE(settings.value(QStringLiteral("keep_maps")).toString(), QStringLiteral("none"));
    }
};

QTEST_MAIN(TestEvaluationKeepMaps)
#include "test_evaluation_keep_maps.moc"
