// The Trust page's form without widgets (ui/model/trust_form.h): defaults, the default output
// folder, every refusal of validate() (no folder that holds files is ever written into), the
// settings it makes for core's eval::runRandomisationTest, and how the comparison fills it in.
#include "model/trust_form.h"

#include "intermap/eval/sanity.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::ui::TrustComparison;
using intermap::ui::TrustForm;

namespace {
const QString kAttention = QStringLiteral("attention");
const QString kGradCam = QStringLiteral("gradcam");

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}
} // namespace

class TestTrustForm : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_checkpoint, m_images, m_firstImage;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_work.isValid());
        // validate() checks that files exist, not what they hold.
        m_checkpoint = m_work.filePath(QStringLiteral("tiny.pth"));
        QVERIFY(writeFile(m_checkpoint, "weights"));
        m_images = m_work.filePath(QStringLiteral("images"));
        QVERIFY(QDir().mkpath(m_images));
        QVERIFY(writeFile(m_images + QStringLiteral("/a.png"), "a"));
        QVERIFY(writeFile(m_images + QStringLiteral("/b.png"), "b"));
        m_firstImage = m_images + QStringLiteral("/a.png");
    }

    void formDefaultsAndRefusals() {
        const TrustForm defaults;
        QCOMPARE(defaults.mode, QStringLiteral("cascading"));
        QCOMPARE(defaults.seed, quint64(0));
        QCOMPARE(defaults.imageSource, TrustForm::ImageSource::Current);
        QCOMPARE(TrustForm::modeChoices(), (QStringList{QStringLiteral("cascading"), QStringLiteral("independent")}));
        QVERIFY(TrustForm::methodChoices().contains(kAttention) && TrustForm::methodChoices().contains(kGradCam));

        // A new time-stamped folder under the application's data, never one that exists.
        const QDateTime when(QDate(2026, 3, 4), QTime(5, 6, 7));
        const QString folder = TrustForm::defaultOutputFolder(when);
        QCOMPARE(folder, QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/trust/20260304-050607"));
        QVERIFY(QDir().mkpath(folder));
        QCOMPARE(TrustForm::defaultOutputFolder(when), folder + QStringLiteral("-2"));
        QVERIFY(QDir(folder).removeRecursively());

        TrustForm form;
        QVERIFY(form.validate().startsWith(QStringLiteral("no model")));
        form.checkpoint = m_work.filePath(QStringLiteral("absent.pth"));
        QVERIFY(form.validate().contains(QStringLiteral("absent.pth")));
        form.checkpoint = m_checkpoint;
        QCOMPARE(form.validate(), QStringLiteral("no method ticked"));
        form.methods = {kAttention};
        QVERIFY(form.validate().startsWith(QStringLiteral("no current image")));
        form.imageSource = TrustForm::ImageSource::Selection;
        QVERIFY(form.validate().startsWith(QStringLiteral("no image selected")));
        form.selectedImages = {m_firstImage, m_work.filePath(QStringLiteral("gone.png"))};
        QVERIFY(form.validate().contains(QStringLiteral("gone.png: no such image file")));
        // Two images with one stem would write one map file.
        const QString twin = m_work.filePath(QStringLiteral("other/a.png"));
        QVERIFY(QDir().mkpath(QFileInfo(twin).path()) && QFile::copy(m_firstImage, twin));
        form.selectedImages = {m_firstImage, twin};
        QVERIFY2(form.validate().contains(QStringLiteral("named a")), qPrintable(form.validate()));
        form.selectedImages = {m_firstImage, m_images + QStringLiteral("/b.png")};
        QCOMPARE(form.validate(), QStringLiteral("no output folder chosen"));
        // A folder that holds files is never written into; an empty or new one is fine.
        const QString used = m_work.filePath(QStringLiteral("used"));
        QVERIFY(QDir().mkpath(used));
        form.outputFolder = used;
        QCOMPARE(form.validate(), QString());
        QFile note(used + QStringLiteral("/note.txt"));
        QVERIFY(note.open(QIODevice::WriteOnly) && note.write("x") == 1);
        note.close();
        QVERIFY(form.validate().contains(QStringLiteral("already holds files")));
        form.outputFolder = m_work.filePath(QStringLiteral("new/run"));
        form.mode = QStringLiteral("sideways");
        QVERIFY(form.validate().contains(QStringLiteral("sideways")));
        form.mode = QStringLiteral("independent");
        QCOMPARE(form.validate(), QString());

        // The settings are core's: the comparison's computation, methods in the choices' order.
        form.methods = {kGradCam, kAttention};
        form.seed = 7;
        form.inputSize = 112;
        form.recipe = QStringLiteral("center-crop");
        form.explainOptions.targetClass = 1;
        const intermap::eval::RandomisationSettings settings = form.toSettings();
        QCOMPARE(settings.checkpoint, m_checkpoint.toStdString());
        QVERIFY(settings.methods == (std::vector<std::string>{"attention", "gradcam"}));
        QVERIFY(settings.mode == intermap::eval::RandomisationMode::Independent);
        QCOMPARE(settings.seed, std::uint64_t(7));
        QVERIFY(settings.imageSize == std::optional<std::int64_t>(112));
        QVERIFY(settings.recipe == intermap::image::PreprocessRecipe::CenterCrop);
        QVERIFY(settings.explainOptions.targetClass == std::optional<std::int64_t>(1));
        QCOMPARE(settings.images.size(), std::size_t(2));
        QCOMPARE(settings.outDir, form.outputFolder.toStdString());
        QVERIFY(form.computationSummary().contains(QStringLiteral("112 px")));
        QVERIFY(form.computationSummary().contains(QStringLiteral("center-crop")));

        // The comparison fills empty choices only, unless its link asks for all of them.
        TrustComparison comparison;
        comparison.checkpoint = QStringLiteral("/elsewhere/model.pth");
        comparison.methods = {QStringLiteral("chefer")};
        comparison.currentImage = QStringLiteral("/elsewhere/x.png");
        comparison.inputSize = 384;
        form.applyComparison(comparison, false);
        QCOMPARE(form.checkpoint, m_checkpoint);
        QCOMPARE(form.methods, (QStringList{kGradCam, kAttention}));
        QCOMPARE(form.imageSource, TrustForm::ImageSource::Selection);
        QCOMPARE(form.inputSize, 384);
        QCOMPARE(form.currentImage, QStringLiteral("/elsewhere/x.png"));
        form.applyComparison(comparison, true);
        QCOMPARE(form.checkpoint, comparison.checkpoint);
        QCOMPARE(form.methods, comparison.methods);
        QCOMPARE(form.imageSource, TrustForm::ImageSource::Current);
    }

};

QTEST_APPLESS_MAIN(TestTrustForm)
#include "test_trust_form.moc"
