// The session file format without widgets: a round trip of every comparison setting, the explain
// options as words, and files written before the target and the Chefer precision had words.
#include "widgets/session_file.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace intermap;
using namespace intermap::ui;

class TestSessionFile : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    QString write(const QByteArray& text) {
        const QString path = m_work.filePath(QStringLiteral("written.intermap"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            return {};
        return path;
    }

private Q_SLOTS:
    void roundTrip() {
        Session session;
        session.page = 2;
        session.compare.images = QStringLiteral("/data/images");
        session.compare.masks = QStringLiteral("/data/masks");
        session.compare.checkpoint = QStringLiteral("/models/m.pth");
        session.compare.image = QStringLiteral("polyp/a.png");
        ComparisonSettings& settings = session.compare.settings;
        settings.mode = ComparisonSettings::Mode::Inits;
        settings.methods = {QString::fromLatin1(explain::kAttentionMethod)};
        settings.initsMethod = QString::fromLatin1(explain::kRolloutMethod);
        settings.recipe = QStringLiteral("center-crop");
        settings.explainOptions.targetClass = 1;
        settings.explainOptions.augSmooth = true;
        settings.explainOptions.cheferPrecision = explain::Precision::Float32;
        settings.maskThreshold = 127;
        settings.inputSize = 112;
        session.compare.display.colourMap = QStringLiteral("viridis");
        session.compare.display.opacity = 0.3;
        session.compare.display.showOutline = false;
        session.train = {{QStringLiteral("epochs"), 7}};
        const QString path = m_work.filePath(QStringLiteral("one.intermap"));
        QString error;
        QVERIFY2(saveSessionFile(path, session, &error), qPrintable(error));

        Session loaded;
        QVERIFY2(loadSessionFile(path, &loaded, &error), qPrintable(error));
        QCOMPARE(loaded.page, 2);
        QCOMPARE(comparisonToJson(loaded.compare), comparisonToJson(session.compare));
        QCOMPARE(loaded.compare.settings.mapKeySettings(), settings.mapKeySettings());
        QVERIFY(loaded.compare.settings.explainOptions.targetClass == std::optional<std::int64_t>(1));
        QCOMPARE(loaded.compare.display.opacity, 0.3);
        QCOMPARE(loaded.compare.settings.inputSize, 112);
        QCOMPARE(loaded.train, session.train);
        // The target is written as a word.
        QCOMPARE(comparisonToJson(ComparisonSession{}).value(QStringLiteral("target")).toString(),
                 QString::fromLatin1(explain::kPredictedTarget));
    }

    void olderFilesLoad() {
        // The target as an integer (-1 = predicted) and the Chefer precision as a flag.
        Session loaded;
        QString error;
        QVERIFY2(loadSessionFile(write(R"({"format": "intermap-session", "version": 1, "page": 1,
            "compare": {"target": -1, "chefer_float64": false, "methods": ["chefer"], "opacity": 80}})"),
                                 &loaded, &error),
                 qPrintable(error));
        QCOMPARE(loaded.page, 1);
        QVERIFY(!loaded.compare.settings.explainOptions.targetClass.has_value());
        QVERIFY(loaded.compare.settings.explainOptions.cheferPrecision == explain::Precision::Float32);
        QCOMPARE(loaded.compare.settings.methods, QStringList{QString::fromLatin1(explain::kCheferMethod)});
        QCOMPARE(loaded.compare.settings.inputSize, 224); // sessions before the input size: the study's
        QCOMPARE(loaded.compare.display.opacity, 0.8);
        QVERIFY(loaded.compare.display.showOutline);

        QVERIFY(loadSessionFile(write(R"({"format": "intermap-session", "compare": {"target": 1, "chefer_float64": true}})"),
                                &loaded, &error));
        QVERIFY(loaded.compare.settings.explainOptions.targetClass == std::optional<std::int64_t>(1));
        QVERIFY(loaded.compare.settings.explainOptions.cheferPrecision == explain::Precision::Float64);
        QVERIFY(loadSessionFile(write(R"({"format": "intermap-session", "compare": {}})"), &loaded, &error));
        QVERIFY(loaded.compare.settings.explainOptions.cheferPrecision == explain::kDefaultCheferPrecision);
    }

    void refusesWhatIsNotASession() {
        Session loaded;
        QString error;
        const QString notSession = write(R"({"hello": 1})");
        QVERIFY(!loadSessionFile(notSession, &loaded, &error));
        QVERIFY(error.contains(notSession) && error.contains(QStringLiteral("not an intermap session")));
        QVERIFY(!loadSessionFile(write("{nope"), &loaded, &error));
        QVERIFY(error.contains(QStringLiteral("not JSON")));
        QVERIFY(!loadSessionFile(m_work.filePath(QStringLiteral("missing.intermap")), &loaded, &error));
        QVERIFY(error.contains(QStringLiteral("cannot read")));
    }
};

QTEST_GUILESS_MAIN(TestSessionFile)
#include "test_session_file.moc"
