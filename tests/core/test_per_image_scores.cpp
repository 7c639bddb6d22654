// OUT/per_image.csv streamed (intermap/eval/per_image_scores.h): the reader (quoted names with
// line breaks and quotes, NaN, a header-only file, refused files naming the file and the line) and
// each cell's best and worst images, which must equal the ends of a full stable sort of the cell's
// rows (how the Evaluate page ranked them when it held every row): ties by name, then file order,
// NaN not ranked, cells interleaved.
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/per_image_scores.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

namespace {

using intermap::eval::CellExtremes;
using intermap::eval::PerImageExtremes;
using intermap::eval::PerImageScore;
using intermap::eval::PerImageScoreReader;
namespace csv = intermap::csv;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void writeFile(const QString& path, const std::string& text) {
    std::ofstream file(path.toStdString(), std::ios::binary);
    file << text;
}

// The whole file's rows (small test files only).
std::vector<PerImageScore> allRows(const std::string& outDir) {
    std::vector<PerImageScore> rows;
    PerImageScoreReader reader(outDir);
    for (PerImageScore row; reader.next(row);)
        rows.push_back(row);
    return rows;
}

// The Evaluate page's ranking before streaming: every row of the cell held, sorted stably (best
// first by the column's direction, ties by name), the first perSide then the last ones not among them.
CellExtremes fullSortRanking(const std::vector<PerImageScore>& rows, const std::vector<std::string>& columns,
                             const std::string& dataset, const std::string& init, const std::string& method,
                             const std::string& column, std::size_t perSide) {
    const auto c = static_cast<std::size_t>(std::find(columns.begin(), columns.end(), column) - columns.begin());
    std::vector<const PerImageScore*> cell;
    for (const auto& row : rows)
        if (row.dataset == dataset && row.init == init && row.method == method && !std::isnan(row.values[c]))
            cell.push_back(&row);
    const bool higher = intermap::eval::columns::higherIsBetter(column);
    std::stable_sort(cell.begin(), cell.end(), [&](const PerImageScore* a, const PerImageScore* b) {
        if (a->values[c] != b->values[c])
            return higher ? a->values[c] > b->values[c] : a->values[c] < b->values[c];
        return a->image < b->image;
    });
    CellExtremes extremes;
    extremes.scored = static_cast<std::int64_t>(cell.size());
    const std::size_t best = std::min(perSide, cell.size());
    const std::size_t worst = std::min(perSide, cell.size() - best);
    for (std::size_t i = 0; i < best; ++i)
        extremes.best.push_back({cell[i]->image, cell[i]->values[c]});
    for (std::size_t i = cell.size() - worst; i < cell.size(); ++i)
        extremes.worst.push_back({cell[i]->image, cell[i]->values[c]});
    return extremes;
}

QString describe(const CellExtremes& extremes) {
    QStringList parts{QString::number(extremes.scored)};
    for (const auto* side : {&extremes.best, &extremes.worst}) {
        QStringList names;
        for (const auto& image : *side)
            names << QString::fromStdString(image.image) + QLatin1Char('=') + QString::number(image.value);
        parts << names.join(QLatin1Char(' '));
    }
    return parts.join(QStringLiteral(" | "));
}

} // namespace

class TestPerImageScores : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // A run folder holding `text` as its per_image.csv.
    std::string runWith(const QString& name, const std::string& text) {
        const QString run = m_dir.filePath(name);
        QDir().mkpath(run);
        writeFile(run + QStringLiteral("/per_image.csv"), text);
        return run.toStdString();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Names as field() writes them (a line break, a quote, a comma, a formula guard) read back
    // whole; "nan" and an empty cell are NaN; blank lines are skipped.
    void readsRowsOneByOne() {
        const std::string oddName = "scan 1\nsecond line, \"quoted\"";
        std::string text = "dataset,init,method,image,pointing_game,iou_top5\n";
        text += "d,sup,gradcam," + csv::field(oddName) + ",1.0,0.25\n";
        text += "\n";
        text += "d,sup,gradcam," + csv::field("=HYPERLINK(\"x\")") + ",nan,\n";
        text += "d,sup,chefer,plain,0.0,0.5\n";
        const std::string run = runWith(QStringLiteral("odd-names"), text);
        PerImageScoreReader reader(run);
        QCOMPARE(reader.columns(), (std::vector<std::string>{"pointing_game", "iou_top5"}));
        const auto rows = allRows(run);
        QCOMPARE(rows.size(), std::size_t(3));
        QCOMPARE(rows[0].image, oddName);
        QCOMPARE(rows[0].values, (std::vector<double>{1.0, 0.25}));
        QCOMPARE(rows[1].image, std::string("=HYPERLINK(\"x\")"));
        QVERIFY(std::isnan(rows[1].values[0]) && std::isnan(rows[1].values[1]));
        QCOMPARE(rows[2].method, std::string("chefer"));
        QCOMPARE(rows[2].values, (std::vector<double>{0.0, 0.5}));
        // The odd name ranks like any other.
        const auto extremes = intermap::eval::readPerImageExtremes(run);
        const auto cell = extremes.cell("d", "sup", "gradcam", "iou_top5");
        QCOMPARE(cell.scored, std::int64_t(1));
        QCOMPARE(cell.best.size(), std::size_t(1));
        QCOMPARE(cell.best[0].image, oddName);
        QVERIFY(cell.worst.empty());
    }

    void headerOnlyFileHasNoRows() {
        const std::string run = runWith(QStringLiteral("header-only"), "dataset,init,method,image,pointing_game\n");
        QVERIFY(allRows(run).empty());
        const auto extremes = intermap::eval::readPerImageExtremes(run);
        QCOMPARE(extremes.columns(), std::vector<std::string>{"pointing_game"});
        const auto cell = extremes.cell("d", "sup", "gradcam", "pointing_game");
        QCOMPARE(cell.scored, std::int64_t(0));
        QVERIFY(cell.best.empty() && cell.worst.empty());
    }

    void refusedFilesNameTheFileAndLine_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected"); // in the message, after the file's path
        QTest::newRow("missing") << QString() << QStringLiteral("file does not exist");
        QTest::newRow("empty") << QStringLiteral("") << QStringLiteral("empty file");
        QTest::newRow("not per_image.csv") << QStringLiteral("image,pointing_game\nx,1.0\n") << QStringLiteral("unexpected header");
        QTest::newRow("no metric column") << QStringLiteral("dataset,init,method,image\n") << QStringLiteral("unexpected header");
        // Line 3 holds a name with a line break: the short row starts on line 4.
        QTest::newRow("short row") << QStringLiteral("dataset,init,method,image,pointing_game\nd,sup,gradcam,\"a\nb\",1.0\n"
                                                     "d,sup,gradcam,c\n")
                                   << QStringLiteral("line 4 has 4 fields, the header 5");
        QTest::newRow("long row") << QStringLiteral("dataset,init,method,image,pointing_game\nd,sup,gradcam,a,1.0,2.0\n")
                                  << QStringLiteral("line 2 has 6 fields, the header 5");
    }

    void refusedFilesNameTheFileAndLine() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const QString run = m_dir.filePath(QStringLiteral("refused-") + QString::number(qHash(QString::fromLatin1(QTest::currentDataTag()))));
        QDir().mkpath(run);
        if (!text.isNull())
            writeFile(run + QStringLiteral("/per_image.csv"), text.toStdString());
        const std::string path = (run + QStringLiteral("/per_image.csv")).toStdString();
        try {
            intermap::eval::readPerImageExtremes(run.toStdString());
            QFAIL("accepted");
        } catch (const intermap::Error& error) {
            const QString message = QString::fromStdString(error.what());
            QVERIFY2(message.startsWith(QString::fromStdString(path) + QStringLiteral(": ")), qPrintable(message));
            QVERIFY2(message.contains(expected), qPrintable(message));
        }
    }

    // Ties by name, then file order; NaN not ranked; lower is better for deletion; fewer rows than
    // two sides: none listed twice.
    void tiesNaNAndDirection() {
        const std::vector<std::string> columns{"pointing_game", "deletion_auc"};
        PerImageExtremes extremes(columns, 2);
        const std::vector<std::pair<std::string, double>> rows{{"b", 0.5}, {"a", 0.5}, {"n", kNaN}, {"c", 0.9},
                                                               {"a", 0.5}, {"d", 0.1}, {"e", 0.5}};
        for (const auto& [image, value] : rows)
            extremes.add({"d", "sup", "gradcam", image, {value, value}});
        const auto pg = extremes.cell("d", "sup", "gradcam", "pointing_game");
        QCOMPARE(pg.scored, std::int64_t(6));
        QCOMPARE(pg.best.size(), std::size_t(2));
        QCOMPARE(pg.best[0].image, std::string("c"));
        QCOMPARE(pg.best[1].image, std::string("a")); // 0.5: a before b by name; the first "a" row
        QCOMPARE(pg.worst.size(), std::size_t(2));
        QCOMPARE(pg.worst[0].image, std::string("e"));
        QCOMPARE(pg.worst[1].image, std::string("d")); // the worst last
        const auto deletion = extremes.cell("d", "sup", "gradcam", "deletion_auc");
        QCOMPARE(deletion.best[0].image, std::string("d"));
        QCOMPARE(deletion.worst[1].image, std::string("c"));
        // Three rows, two per side: the best two, then the one left.
        PerImageExtremes few(columns, 2);
        for (const char* image : {"x", "y", "z"})
            few.add({"d", "sup", "gradcam", image, {1.0, 1.0}});
        const auto cell = few.cell("d", "sup", "gradcam", "pointing_game");
        QCOMPARE(cell.best.size(), std::size_t(2));
        QCOMPARE(cell.worst.size(), std::size_t(1));
        QCOMPARE(cell.worst[0].image, std::string("z"));
        QVERIFY(few.cell("d", "sup", "gradcam", "no_such_column").best.empty());
        QVERIFY(few.cell("d", "mae", "gradcam", "pointing_game").best.empty());
    }

    // Random files of several cells interleaved, values on a coarse grid (many ties), repeated
    // names and NaN: every cell's extremes equal the full sort's, for every number per side.
    void equalsAFullSort_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("perSide");
        QTest::addColumn<int>("seed");
        for (int perSide : {0, 1, 3, 8})
            for (int rows : {0, 1, 5, 40, 2000})
                QTest::addRow("%d rows, %d per side", rows, perSide) << rows << perSide << rows * 31 + perSide;
    }

    void equalsAFullSort() {
        QFETCH(int, rows);
        QFETCH(int, perSide);
        QFETCH(int, seed);
        const std::vector<std::string> columns{"pointing_game", "iou_top10", "deletion_auc"};
        const std::vector<std::string> inits{"sup", "mae"}, methods{"gradcam", "chefer"};
        std::mt19937 random(static_cast<unsigned>(seed));
        std::string text = "dataset,init,method,image,pointing_game,iou_top10,deletion_auc\n";
        for (int r = 0; r < rows; ++r) {
            // Names repeat (r % 37) and some hold a comma, a quote or a line break.
            const std::string image = "img " + std::to_string(random() % 37) + (r % 5 == 0 ? ",\"x\"\ny" : "");
            text += csv::field(r % 3 ? "cpchild" : "duke") + "," + inits[random() % 2] + "," + methods[random() % 2] + "," +
                    csv::field(image);
            for (std::size_t c = 0; c < columns.size(); ++c)
                text += "," + (random() % 11 == 0 ? std::string("nan") : csv::number(static_cast<double>(random() % 5) / 4.0));
            text += "\n";
        }
        const std::string run = runWith(QStringLiteral("random-%1").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_')).remove(QLatin1Char(','))), text);
        const auto all = allRows(run);
        QCOMPARE(all.size(), static_cast<std::size_t>(rows));
        const auto extremes = intermap::eval::readPerImageExtremes(run, static_cast<std::size_t>(perSide));
        for (const char* dataset : {"cpchild", "duke"})
            for (const auto& init : inits)
                for (const auto& method : methods)
                    for (const auto& column : columns) {
                        const auto expected = fullSortRanking(all, columns, dataset, init, method, column, static_cast<std::size_t>(perSide));
                        const auto streamed = extremes.cell(dataset, init, method, column);
                        QCOMPARE(describe(streamed), describe(expected));
                    }
    }
};

QTEST_GUILESS_MAIN(TestPerImageScores)
#include "test_per_image_scores.moc"
