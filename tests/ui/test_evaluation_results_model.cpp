// The evaluation's results as the panel shows them, without widgets: the table model (rows =
// methods then baselines, columns = inits, exact values, the best init bold, n/a), its CSV, the
// best and worst images of a cell, and the chart data (bars and IoU vs k curves).
#include "model/evaluation_chart_data.h"
#include "model/evaluation_results_model.h"

#include "intermap/eval/evaluation.h"

#include <QFont>
#include <QtTest/QtTest>

#include <cmath>
#include <limits>

using intermap::ui::EvaluationResultsModel;
namespace eval = intermap::eval;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// cpchild, two methods x two inits, pointing game and IoU@5/IoU@10; chefer/sup never scored.
eval::EvaluationResults results() {
    eval::EvaluationResults r;
    r.settings.methods = {"gradcam", "chefer"};
    r.settings.inits = {"scratch", "sup"};
    r.columns = {"pointing_game", "iou_top5", "iou_top10", "iou_set_top5", "deletion_auc"};
    auto put = [&](const std::string& column, const std::string& method, const std::string& init, double mean, std::int64_t n) {
        r.cells["cpchild\n" + column + '\n' + method + '\n' + init] = {mean, n};
    };
    put("pointing_game", "gradcam", "scratch", 0.25, 40);
    put("pointing_game", "gradcam", "sup", 0.625, 40);
    put("pointing_game", "chefer", "scratch", 0.5, 38);
    put("iou_top5", "gradcam", "scratch", 0.1, 40);
    put("iou_top10", "gradcam", "scratch", 0.2, 40);
    put("deletion_auc", "gradcam", "scratch", 0.3, 40);
    put("deletion_auc", "gradcam", "sup", 0.2, 40);
    r.baselines["cpchild\ncentre\npointing_game"] = 0.125;
    r.baselines["cpchild\nrandom\npointing_game"] = 1.0 / 3.0;
    r.baselines["cpchild\ncentre\niou_top5"] = 0.05;
    return r;
}

} // namespace

class TestEvaluationResultsModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tableOfOneMeasure() {
        EvaluationResultsModel model;
        model.setResults(results(), "cpchild", "pointing_game");
        QCOMPARE(model.rowCount(), 4); // 2 methods + centre and random baselines
        QCOMPARE(model.columnCount(), 2);
        QCOMPARE(model.methodRowCount(), 2);
        QVERIFY(!model.isBaselineRow(1) && model.isBaselineRow(2) && model.isBaselineRow(3) && !model.isBaselineRow(4));
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("scratch"));
        QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QStringLiteral("chefer"));
        QCOMPARE(model.headerData(2, Qt::Vertical).toString(), QStringLiteral("centre baseline"));
        QCOMPARE(model.headerData(3, Qt::Vertical).toString(), QStringLiteral("random baseline"));

        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("0.625"));
        QCOMPARE(model.index(0, 1).data(EvaluationResultsModel::ValueRole).toDouble(), 0.625);
        QCOMPARE(model.index(1, 1).data().toString(), QStringLiteral("n/a"));
        QVERIFY(std::isnan(model.index(1, 1).data(EvaluationResultsModel::ValueRole).toDouble()));
        QCOMPARE(model.index(3, 0).data(EvaluationResultsModel::ValueRole).toDouble(), 1.0 / 3.0);
        QVERIFY(!model.index(3, 1).data().isValid()); // a baseline has one value, in column 0
        // The best init of a row is bold; higher is better for the pointing game.
        QVERIFY(model.index(0, 1).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!model.index(0, 0).data(Qt::FontRole).isValid());
        QVERIFY(model.index(1, 0).data(Qt::FontRole).value<QFont>().bold()); // the only value of its row
        const QString tip = model.index(0, 0).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("gradcam")) && tip.contains(QStringLiteral("40 image")) &&
                     tip.contains(QStringLiteral("Pointing game")),
                 qPrintable(tip));
    }

    void lowerIsBetterForDeletion() {
        EvaluationResultsModel model;
        model.setResults(results(), "cpchild", "deletion_auc");
        QVERIFY(model.index(0, 1).data(Qt::FontRole).value<QFont>().bold());  // 0.2 < 0.3
        QVERIFY(!model.index(0, 0).data(Qt::FontRole).isValid());
    }

    void csvAsTheCliWritesIt() {
        EvaluationResultsModel model;
        model.setResults(results(), "cpchild", "pointing_game");
        QCOMPARE(model.toCsv(), QStringLiteral(",scratch,sup\n"
                                               "gradcam,0.25,0.625\n"
                                               "chefer,0.5,\n"
                                               "centre baseline,0.125\n"
                                               "random baseline,0.33333333333333331\n"));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.toCsv(), QStringLiteral(",\n"));
    }

    void bestAndWorstImages() {
        const std::vector<std::string> columns{"pointing_game", "deletion_auc"};
        eval::PerImageExtremes threePerSide(columns, 3), twoPerSide(columns, 2);
        const double values[] = {0.1, 0.9, 0.5, kNaN, 0.5, 0.3, 0.7, 0.2};
        for (int i = 0; i < 8; ++i)
            for (auto* extremes : {&threePerSide, &twoPerSide})
                extremes->add({"cpchild", "sup", "gradcam", "img" + std::to_string(i), {values[i], 1.0 - values[i]}});
        threePerSide.add({"cpchild", "scratch", "gradcam", "other-init", {1.0, 0.0}});
        const auto cell = threePerSide.cell("cpchild", "sup", "gradcam", "pointing_game");
        QCOMPARE(cell.scored, std::int64_t(7)); // NaN skipped, the other init not counted
        const auto ranked = intermap::ui::rankedImages(cell);
        QCOMPARE(ranked.size(), 6);
        QCOMPARE(ranked[0].image, QStringLiteral("img1"));
        QCOMPARE(ranked[1].image, QStringLiteral("img6"));
        QCOMPARE(ranked[2].image, QStringLiteral("img2")); // tie with img4: by name
        QVERIFY(ranked[2].best && !ranked[3].best);
        QCOMPARE(ranked[3].image, QStringLiteral("img5"));
        QCOMPARE(ranked[5].image, QStringLiteral("img0")); // the worst last
        QCOMPARE(ranked[5].value, 0.1);
        // Lower is better for deletion: the order turns.
        const auto deletion = intermap::ui::rankedImages(twoPerSide.cell("cpchild", "sup", "gradcam", "deletion_auc"));
        QCOMPARE(deletion.size(), 4);
        QCOMPARE(deletion[0].image, QStringLiteral("img1"));
        QCOMPARE(deletion[3].image, QStringLiteral("img0"));
        // Few images: none listed twice.
        QCOMPARE(intermap::ui::rankedImages(threePerSide.cell("cpchild", "scratch", "gradcam", "pointing_game")).size(), 1);
        QVERIFY(intermap::ui::rankedImages(threePerSide.cell("cpchild", "sup", "gradcam", "no_such_column")).isEmpty());
    }

    void barsAreTheTablesNumbers() {
        const auto bars = intermap::ui::barChartData(results(), "cpchild", "pointing_game");
        QCOMPARE(bars.groups, (QStringList{"gradcam", "chefer"}));
        QCOMPARE(bars.series, (QStringList{"Random (scratch)", "Supervised (sup)"}));
        QCOMPARE(bars.values[0][1], 0.625);
        QVERIFY(std::isnan(bars.values[1][1]));
        QCOMPARE(bars.referenceLines.size(), 2);
        QCOMPARE(bars.referenceLines[0].first, QStringLiteral("centre baseline"));
        QCOMPARE(bars.referenceLines[0].second, 0.125);
        QCOMPARE(bars.valueLabel, QStringLiteral("Pointing game"));
        QVERIFY(bars.title.startsWith(QStringLiteral("cpchild")));
    }

    void curvesOverTheRectangleK() {
        const auto curves = intermap::ui::curveChartData(results(), "cpchild");
        QCOMPARE(curves.x, (QVector<double>{5, 10})); // iou_set_top5 is not a rectangle IoU
        QCOMPARE(curves.curves.size(), 4);             // methods x inits
        QCOMPARE(curves.curves[0].name, QStringLiteral("gradcam / Random (scratch)"));
        QCOMPARE(curves.curves[0].y, (QVector<double>{0.1, 0.2}));
        QCOMPARE(curves.referenceCurves.size(), 2);
        QCOMPARE(curves.referenceCurves[0].name, QStringLiteral("centre baseline"));
        QCOMPARE(curves.referenceCurves[0].y[0], 0.05);
        QVERIFY(std::isnan(curves.referenceCurves[1].y[0]));
    }
};

QTEST_MAIN(TestEvaluationResultsModel)
#include "test_evaluation_results_model.moc"
