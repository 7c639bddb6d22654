// Names and writes that went wrong silently: two masks or training images of one stem (a.png
// beside a.bmp), an image name holding a line break (which stopped the GUI loading the run),
// names a spreadsheet would evaluate as formulas, and the atomic writes' durability details
// (permissions of a replaced file, links in the way, errors reported with the old file intact).
#include "intermap/data/annotations.h"
#include "intermap/data/dataset.h"
#include "intermap/eval/per_image_scores.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace intermap;

namespace {

void touch(const QString& path) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
}

std::string usageErrorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const UsageError& error) {
        return error.what();
    }
    return "(no UsageError)";
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

unsigned permissionBits(const std::string& path) {
    struct stat status {};
    ::stat(path.c_str(), &status);
    return status.st_mode & 07777;
}

} // namespace

class TestHostileNamesAndWrites : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // ---- one stem, two files ----------------------------------------------------------------

    // evaluate and score pair masks with images by stem: a.png and a.bmp gave two rows.
    void refusesTwoMasksOfOneStem() {
        const QString masks = m_dir.filePath(QStringLiteral("eval-masks"));
        touch(masks + QStringLiteral("/a.png"));
        touch(masks + QStringLiteral("/a.bmp"));
        touch(masks + QStringLiteral("/b.png"));
        const std::string message = usageErrorOf([&] { data::listAnnotatedImages(data::MaskSource::parse(masks.toStdString())); });
        QVERIFY2(message.find("masks '" + (masks + QStringLiteral("/a.bmp")).toStdString() + "' and '" +
                              (masks + QStringLiteral("/a.png")).toStdString() + "' have the same stem 'a'") != std::string::npos,
                 message.c_str());
    }

    void refusesTwoTrainingImagesOrMasksOfOneStem_data() {
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::newRow("images of one class") << QStringLiteral("train/pos/a.png") << QStringLiteral("train/pos/a.jpg");
        QTest::newRow("masks") << QStringLiteral("masks/a.png") << QStringLiteral("masks/a.bmp");
    }
    void refusesTwoTrainingImagesOrMasksOfOneStem() {
        QFETCH(QString, first);
        QFETCH(QString, second);
        QTemporaryDir root;
        for (const QString& image : {QStringLiteral("train/pos/a.png"), QStringLiteral("train/pos/b.png"),
                                     QStringLiteral("train/neg/c.png"), QStringLiteral("train/neg/d.png")})
            touch(root.filePath(image));
        touch(root.filePath(first));
        touch(root.filePath(second));
        data::DatasetOptions options;
        options.root = root.path().toStdString();
        const std::string message = usageErrorOf([&] { data::scanDataset(options); });
        for (const QString& file : {first, second})
            QVERIFY2(message.find(fs::path(root.filePath(file).toStdString()).lexically_normal().string()) != std::string::npos,
                     message.c_str());
        QVERIFY2(message.find("have the same stem 'a'") != std::string::npos, message.c_str());
    }

    // A class folder whose name holds a control character (here an escape sequence) is refused,
    // named escaped; training stops before anything is written.
    void refusesAClassFolderWithAControlCharacter() {
        QTemporaryDir root;
        for (const QString& image : {QStringLiteral("train/neg/a.png"), QStringLiteral("train/neg/b.png"),
                                     QStringLiteral("train/pos\x1b[31m/c.png"), QStringLiteral("train/pos\x1b[31m/d.png")})
            touch(root.filePath(image));
        data::DatasetOptions options;
        options.root = root.path().toStdString();
        const std::string message = usageErrorOf([&] { data::scanDataset(options); });
        QVERIFY2(message.find("class folder 'pos\\x1b[31m' holds a control character (\\x1b)") != std::string::npos, message.c_str());
        QVERIFY2(message.find('\x1b') == std::string::npos, message.c_str());
    }

    // ---- CSV -------------------------------------------------------------------------------

    // A name with a line break is written quoted (as pandas does) and must read back whole.
    void aLineBreakInAnImageNameSurvivesPerImageCsv() {
        const QString run = m_dir.filePath(QStringLiteral("csv-run"));
        QVERIFY(QDir().mkpath(run));
        const std::string oddName = "scan 1\nsecond line, \"quoted\"";
        std::string table = "dataset,init,method,image,pg\n";
        table += "d,random,rollout," + csv::field(oddName) + "," + csv::number(-0.5) + "\n";
        table += "d,random,rollout," + csv::field("=HYPERLINK(\"x\")") + "," + csv::number(1.0) + "\n";
        table += "d,random,rollout,plain," + csv::number(0.25) + "\n";
        writeFileAtomically((run + QStringLiteral("/per_image.csv")).toStdString(), table);
        std::vector<eval::PerImageScore> scores;
        eval::PerImageScoreReader reader(run.toStdString());
        for (eval::PerImageScore row; reader.next(row);)
            scores.push_back(row);
        QCOMPARE(scores.size(), std::size_t(3));
        QCOMPARE(scores[0].image, oddName);
        QCOMPARE(scores[0].values, std::vector<double>{-0.5});
        QCOMPARE(scores[1].image, std::string("=HYPERLINK(\"x\")"));
        QCOMPARE(scores[2].image, std::string("plain"));
        QCOMPARE(scores[2].values, std::vector<double>{0.25});
    }

    void formulaLikeTextIsGuardedNumbersNever_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("cell");
        QTest::newRow("formula") << QStringLiteral("=1+1") << QStringLiteral("'=1+1");
        QTest::newRow("plus") << QStringLiteral("+cmd") << QStringLiteral("'+cmd");
        QTest::newRow("minus") << QStringLiteral("-x") << QStringLiteral("'-x");
        QTest::newRow("at") << QStringLiteral("@SUM(A1)") << QStringLiteral("'@SUM(A1)");
        QTest::newRow("negative number") << QStringLiteral("-0.5") << QStringLiteral("-0.5");
        QTest::newRow("signed number") << QStringLiteral("+3") << QStringLiteral("+3");
        QTest::newRow("plain") << QStringLiteral("1 (10)") << QStringLiteral("1 (10)");
        QTest::newRow("apostrophe kept") << QStringLiteral("'quoted") << QStringLiteral("'quoted");
        QTest::newRow("apostrophe before a sign") << QStringLiteral("'-x") << QStringLiteral("''-x");
        QTest::newRow("formula with a comma") << QStringLiteral("=A1,B1") << QStringLiteral("\"'=A1,B1\"");
    }
    void formulaLikeTextIsGuardedNumbersNever() {
        QFETCH(QString, text);
        QFETCH(QString, cell);
        QCOMPARE(QString::fromStdString(csv::field(text.toStdString())), cell);
        const auto fields = csv::splitRecord(csv::field(text.toStdString()));
        QCOMPARE(fields.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(csv::textOf(fields[0])), text);
        QCOMPARE(csv::number(-0.5), std::string("-0.5")); // numbers go through number(), unguarded
    }

    void recordReaderJoinsQuotedLineBreaks() {
        std::istringstream text("a,b\n\"x\ny\",2\n\n\"\"\"q\"\"\",3\n");
        csv::RecordReader records(text);
        std::vector<std::string> fields;
        QVERIFY(records.next(fields));
        QCOMPARE(fields, (std::vector<std::string>{"a", "b"}));
        QVERIFY(records.next(fields));
        QCOMPARE(fields, (std::vector<std::string>{"x\ny", "2"}));
        QCOMPARE(records.lineNumber(), 2);
        QVERIFY(records.next(fields));
        QVERIFY(records.text().empty());
        QVERIFY(records.next(fields));
        QCOMPARE(fields, (std::vector<std::string>{"\"q\"", "3"}));
        QCOMPARE(records.lineNumber(), 5);
        QVERIFY(!records.next(fields));
    }

    // ---- atomic writes ----------------------------------------------------------------------

    void aReplacedFileKeepsItsPermissions() {
        const std::string path = m_dir.filePath(QStringLiteral("kept-mode.json")).toStdString();
        writeFileAtomically(path, std::string("old"));
        QCOMPARE(::chmod(path.c_str(), 0640), 0);
        writeFileAtomically(path, std::string("new"));
        QCOMPARE(readText(path), std::string("new"));
        QCOMPARE(permissionBits(path), 0640u);
    }

    // The rename replaces a link at the destination; the file it pointed to is left alone.
    void aLinkAtTheDestinationIsReplacedNotWrittenThrough() {
        const std::string victim = m_dir.filePath(QStringLiteral("victim.txt")).toStdString();
        const std::string link = m_dir.filePath(QStringLiteral("link.txt")).toStdString();
        writeFileAtomically(victim, std::string("precious"));
        fs::create_symlink(victim, link);
        writeFileAtomically(link, std::string("replacement"));
        QCOMPARE(readText(victim), std::string("precious"));
        QVERIFY(!fs::is_symlink(link));
        QCOMPARE(readText(link), std::string("replacement"));
    }

    // A failing writer (disk full, an exception) leaves the old file and no temporary file.
    void aFailedWriteLeavesTheOldFileIntact() {
        const QString folder = m_dir.filePath(QStringLiteral("failing"));
        QVERIFY(QDir().mkpath(folder));
        const std::string path = (folder + QStringLiteral("/table.csv")).toStdString();
        writeFileAtomically(path, std::string("old"));
        try {
            writeFileAtomically(path, [](std::ostream& out) {
                out << "half";
                out.setstate(std::ios::badbit);
            });
            QFAIL("no error for a failed write");
        } catch (const Error& error) {
            QVERIFY2(std::string(error.what()).rfind(path + ": writing failed", 0) == 0, error.what());
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, writeFileAtomically(path, [](std::ostream&) { throw std::runtime_error("x"); }));
        QCOMPARE(readText(path), std::string("old"));
        QCOMPARE(QDir(folder).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("table.csv")});
    }

    void aMissingFolderIsNamed() {
        const std::string path = m_dir.filePath(QStringLiteral("no-such-folder/x.json")).toStdString();
        try {
            writeFileAtomically(path, std::string("x"));
            QFAIL("no error for a missing folder");
        } catch (const Error& error) {
            QVERIFY2(std::string(error.what()).rfind(path + ": cannot create a temporary file beside it (No such file", 0) == 0,
                     error.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileNamesAndWrites)
#include "test_hostile_names_and_writes.moc"
