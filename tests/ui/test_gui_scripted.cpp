// The desktop application's scripted start (`intermap ... --screenshot FILE.png`) as a user runs
// it: exit 0 with a window-sized PNG once every requested map is shown; exit 2 with a message
// naming the problem otherwise.
#include "shared_data.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

struct Run {
    int exitCode = -1;
    QString output;
};

Run runGui(const QStringList& arguments, const QString& home) {
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home); // no settings from the user's session
    // As in root shells, SSH sessions, cluster jobs: Qt's warning about it must not reach the output.
    environment.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral(INTERMAP_GUI_PATH), arguments);
    Run run;
    // Generous: a training case took over 240 s on a 2-core machine under a parallel build. A
    // process that does not finish leaves exitCode -1 and what it printed so far, for the failure.
    if (!process.waitForFinished(480000)) {
        run.output = QString::fromLocal8Bit(process.readAll()) + QStringLiteral("\n[did not finish in 480 s]");
        process.kill();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.output = QString::fromLocal8Bit(process.readAll());
    return run;
}

} // namespace

class TestGuiScripted : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void screenshotOfTheDoneMeansCommand() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/test"));
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        QTemporaryDir folder;
        const QString shot = folder.filePath(QStringLiteral("x.png"));
        const Run run = runGui({QStringLiteral("--data"), intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test")),
                                QStringLiteral("--checkpoint"), intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/model.pth")),
                                QStringLiteral("--methods"), QStringLiteral("attention,gradcam,chefer"), QStringLiteral("--screenshot"), shot},
                               folder.path());
        QVERIFY2(run.exitCode == 0, qPrintable(run.output));
        const QImage image(shot);
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() >= 1000 && image.height() >= 600, "the whole window");
        // Not a blank window: the maps put many saturated colours on screen.
        int saturated = 0;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2)
                saturated += QColor(image.pixel(x, y)).hsvSaturation() > 120 ? 1 : 0;
        QVERIFY2(saturated > 5000, qPrintable(QString::number(saturated)));
    }

    // `intermap --screenshot FILE` with nothing to compute (no model, no images: the package's
    // check on a fresh machine) saves the window as a user first sees it instead of waiting 120 s
    // for maps that cannot come.
    void screenshotWithNothingToComputeSavesTheEmptyWindow() {
        QTemporaryDir folder;
        const QString shot = folder.filePath(QStringLiteral("empty.png"));
        const Run run = runGui({QStringLiteral("--screenshot"), shot}, folder.path());
        QVERIFY2(run.exitCode == 0, qPrintable(run.output));
        QVERIFY2(run.output.contains(QStringLiteral("screenshot written")), qPrintable(run.output));
        QVERIFY2(!run.output.contains(QStringLiteral("XDG_RUNTIME_DIR")), qPrintable(run.output)); // render/qt_messages.h
        const QImage image(shot);
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() >= 1000 && image.height() >= 600, "the whole window");
    }

    // An image given as a file argument without a model: the image is shown, no map will come,
    // so the screenshot is saved at once rather than failing after 120 s.
    void screenshotOfAnImageWithoutAModel() {
        QTemporaryDir folder;
        QImage scan(96, 96, QImage::Format_RGB32);
        scan.fill(QColor(90, 90, 90));
        const QString image = folder.filePath(QStringLiteral("scan.png"));
        QVERIFY(scan.save(image));
        const QString shot = folder.filePath(QStringLiteral("image-only.png"));
        const Run run = runGui({image, QStringLiteral("--screenshot"), shot}, folder.path());
        QVERIFY2(run.exitCode == 0, qPrintable(run.output));
        QVERIFY(!QImage(shot).isNull());
    }

    // A session that names images but no model: no map will come, so the screenshot is saved once
    // the images are shown rather than failing after 120 s (the window, not the command line,
    // knows what the session brought).
    void screenshotOfASessionWithoutAModel() {
        QTemporaryDir folder;
        QVERIFY(QDir(folder.path()).mkdir(QStringLiteral("images")));
        QImage scan(96, 96, QImage::Format_RGB32);
        scan.fill(QColor(90, 90, 90));
        QVERIFY(scan.save(folder.filePath(QStringLiteral("images/scan.png"))));
        const QJsonObject compare{{QStringLiteral("images"), folder.filePath(QStringLiteral("images"))},
                                  {QStringLiteral("image"), QStringLiteral("scan.png")},
                                  {QStringLiteral("methods"), QJsonArray{QStringLiteral("attention")}}};
        const QJsonObject session{{QStringLiteral("format"), QStringLiteral("intermap-session")},
                                  {QStringLiteral("version"), 1},
                                  {QStringLiteral("compare"), compare}};
        QFile file(folder.filePath(QStringLiteral("no-model.intermap")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QJsonDocument(session).toJson());
        file.close();
        const QString shot = folder.filePath(QStringLiteral("session.png"));
        const Run run = runGui({file.fileName(), QStringLiteral("--screenshot"), shot}, folder.path());
        QVERIFY2(run.exitCode == 0, qPrintable(run.output));
        QVERIFY2(run.output.contains(QStringLiteral("screenshot written")), qPrintable(run.output));
        QVERIFY(!QImage(shot).isNull());
    }

    // The training Done-means: a short training job from the training panel on the real test
    // folder, the window saved once it finished, curves of >= 2 epochs.
    void scriptedTrainingRunShowsTheCurves() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/test"));
        QTemporaryDir folder;
        const QString shot = folder.filePath(QStringLiteral("train.png"));
        const QString run = folder.filePath(QStringLiteral("run"));
        const Run result = runGui({QStringLiteral("--data"), intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test")),
                                   QStringLiteral("--train-epochs"), QStringLiteral("2"), QStringLiteral("--train-out"), run,
                                   QStringLiteral("--screenshot"), shot},
                                  folder.path());
        QVERIFY2(result.exitCode == 0, qPrintable(result.output));
        QVERIFY2(result.output.contains(QStringLiteral("trained: best epoch")), qPrintable(result.output));
        QFile history(run + QStringLiteral("/history.csv"));
        QVERIFY(history.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(history.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 1 + 2);
        QVERIFY(QFile::exists(run + QStringLiteral("/best.pth")));
        const QImage image(shot);
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() >= 1000 && image.height() >= 600, "the whole window");
        // The coloured curves and markers are on screen.
        int saturated = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                saturated += QColor(image.pixel(x, y)).hsvSaturation() > 120 ? 1 : 0;
        QVERIFY2(saturated > 1500, qPrintable(QString::number(saturated)));
        if (!qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR").isEmpty())
            image.save(qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR") + QStringLiteral("/scripted_training.png"));
    }

    void failuresExitWithTwoAndSayWhy_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        const QString data = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test"));
        const QString checkpoint = intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        QTest::newRow("unknown method") << QStringList{QStringLiteral("--data"), data, QStringLiteral("--checkpoint"), checkpoint,
                                                       QStringLiteral("--methods"), QStringLiteral("lime"), QStringLiteral("--screenshot"), QStringLiteral("s.png")}
                                        << QStringLiteral("unknown method 'lime'");
        QTest::newRow("no such image") << QStringList{QStringLiteral("--data"), data, QStringLiteral("--checkpoint"), checkpoint,
                                                      QStringLiteral("--image"), QStringLiteral("nope"), QStringLiteral("--screenshot"), QStringLiteral("s.png")}
                                       << QStringLiteral("no image 'nope'");
        QTest::newRow("missing checkpoint") << QStringList{QStringLiteral("--data"), data, QStringLiteral("--checkpoint"), QStringLiteral("/nonexistent/m.pth"),
                                                           QStringLiteral("--screenshot"), QStringLiteral("s.png")}
                                            << QStringLiteral("/nonexistent/m.pth");
        QTest::newRow("both model options") << QStringList{QStringLiteral("--checkpoint"), checkpoint, QStringLiteral("--weights"), data,
                                                           QStringLiteral("--screenshot"), QStringLiteral("s.png")}
                                            << QStringLiteral("alternatives");
        QTest::newRow("missing session") << QStringList{QStringLiteral("--load-session"), QStringLiteral("/nonexistent/s.intermap"),
                                                        QStringLiteral("--screenshot"), QStringLiteral("s.png")}
                                         << QStringLiteral("/nonexistent/s.intermap: cannot read");
        QTest::newRow("zero epochs") << QStringList{QStringLiteral("--data"), data, QStringLiteral("--train-epochs"), QStringLiteral("0")}
                                     << QStringLiteral("--train-epochs must be an integer >= 1");
        QTest::newRow("training without data") << QStringList{QStringLiteral("--train-epochs"), QStringLiteral("1")}
                                               << QStringLiteral("needs --data");
        QTest::newRow("training on a missing folder")
            << QStringList{QStringLiteral("--data"), QStringLiteral("/nonexistent/set"), QStringLiteral("--train-epochs"), QStringLiteral("1")}
            << QStringLiteral("/nonexistent/set: no such folder");
    }
    void failuresExitWithTwoAndSayWhy() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/test"));
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QTemporaryDir folder;
        const Run run = runGui(arguments, folder.path());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.output.contains(message), qPrintable(run.output));
    }

    void aCheckpointThatIsNotOneFailsTheScreenshot() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/test"));
        QTemporaryDir folder;
        QFile bad(folder.filePath(QStringLiteral("bad.pth")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(QByteArray(4096, 'x'));
        bad.close();
        const Run run = runGui({QStringLiteral("--data"), intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test")),
                                QStringLiteral("--checkpoint"), bad.fileName(), QStringLiteral("--screenshot"), folder.filePath(QStringLiteral("s.png"))},
                               folder.path());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.output.contains(QStringLiteral("bad.pth")), qPrintable(run.output));
        QVERIFY(!QFile::exists(folder.filePath(QStringLiteral("s.png"))));
    }
};

QTEST_GUILESS_MAIN(TestGuiScripted)
#include "test_gui_scripted.moc"
