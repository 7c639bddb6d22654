// The evaluation grid's items made one at a time (eval::EvaluationGrid, issue 23) against the order,
// the sharding and the pairing written out here by hand: data sets by name, inits by name, stems
// (std::string order, not the masks' file-name order), global index i in shard i % N; each image
// paired by stem with the first image file by name, none where no image has the stem; the random
// baseline's seed the mask's position in file-name (or annotation id) order. And the score
// journal's index (score_journal::JournalIndex), which phase 2 reads rows through: the same rows
// as reading the journal whole.
#include "score_journal.h"

#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation_items.h"
#include "intermap/util/errors.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include <sys/resource.h>

namespace {

namespace eval = intermap::eval;
namespace fs = std::filesystem;

void touch(const fs::path& path, const std::string& text = {}) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// One item as the test expects it.
struct Expected {
    std::size_t datasetIndex;
    std::string stem;
    std::string image; // file name; "" = none
    std::int64_t indexInDataset;
};

} // namespace

class TestEvaluationGrid : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path m_root;
    eval::EvaluationSettings m_settings;
    std::vector<Expected> m_byStem; // every data set's masks, data sets by name, stems in std::string order
    const std::vector<std::string> m_initsByName{"fine", "mae", "sup"};

    // The whole grid in its order, as (item, global index).
    std::vector<std::pair<Expected, std::string>> expectedGrid() const {
        std::vector<std::pair<Expected, std::string>> grid;
        for (const std::size_t d : {std::size_t(1), std::size_t(0)}) // "alpha" (index 1) before "beta"
            for (const auto& init : m_initsByName)
                for (const auto& item : m_byStem)
                    if (item.datasetIndex == d)
                        grid.push_back({item, init});
        return grid;
    }

    void compare(const eval::EvaluationItem& item, const Expected& expected, const std::string& init) {
        const auto& dataset = m_settings.datasets[expected.datasetIndex];
        QCOMPARE(item.datasetIndex, expected.datasetIndex);
        QCOMPARE(item.init, init);
        QCOMPARE(item.stem, expected.stem);
        QCOMPARE(item.indexInDataset, expected.indexInDataset);
        QCOMPARE(item.imagePath, expected.image.empty() ? std::string() : (fs::path(dataset.imagesDir) / expected.image).string());
        if (expected.datasetIndex == 0) { // a mask folder: the mask file of the stem (one per stem)
            const std::string extension = expected.stem == "m" ? ".bmp" : ".png";
            QCOMPARE(item.mask.path, (fs::path(dataset.masks) / (expected.stem + extension)).string());
            QVERIFY(!item.mask.isAnnotationEntry());
        } else { // the annotation file's entry, as data::listAnnotatedImages reads it
            const auto source = intermap::data::MaskSource::parse(dataset.masks);
            for (const auto& annotated : intermap::data::listAnnotatedImages(source))
                if (annotated.stem == expected.stem) {
                    QCOMPARE(item.mask.path, annotated.mask.path);
                    QCOMPARE(item.mask.label, std::string("Lesion"));
                    QCOMPARE(item.mask.imageId, expected.stem);
                    QCOMPARE(item.mask.entry, annotated.mask.entry);
                }
        }
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_root = m_dir.path().toStdString();
        // beta: mask files whose name order differs from their stems' ("x-1.png" < "x.png", but
        // "x" < "x-1"), an image of two files ("a.jpg" wins over "a.png": first by name), a mask
        // without image ("q"), an image without mask ("z").
        for (const char* mask : {"x-1.png", "x.png", "a.png", "m.bmp", "q.png"})
            touch(m_root / "beta" / "masks" / mask);
        for (const char* image : {"x.jpg", "x-1.png", "a.png", "a.jpg", "m.tif", "z.png", "notes.txt"})
            touch(m_root / "beta" / "images" / image);
        // alpha: an annotation file; "c" has no entry for the label, "k10" no image; ids sort
        // bytewise ("k10" < "k2").
        touch(m_root / "alpha" / "annotations.json",
              R"({"k2": {"Lesion": [[0, 0, 2, 0, 2, 2]], "img_size": [4, 4]},
                  "k10": {"Lesion": {"size": [2, 2], "counts": [1, 3]}},
                  "c": {"Other": [[0, 0, 1, 0, 1, 1]]},
                  "b": {"Lesion": {"size": [2, 2], "counts": [0, 4]}, "Other": [[0, 0, 1, 0, 1, 1]]}})");
        for (const char* image : {"k2.png", "b.png", "c.png"})
            touch(m_root / "alpha" / "images" / image);

        m_settings.datasets = {{"beta", (m_root / "beta" / "images").string(), (m_root / "beta" / "masks").string(),
                                intermap::image::PreprocessRecipe::Resize},
                               {"alpha", (m_root / "alpha" / "images").string(),
                                (m_root / "alpha" / "annotations.json").string() + "#Lesion",
                                intermap::image::PreprocessRecipe::Resize}};
        m_settings.inits = {"sup", "mae", "fine"};
        // Mask order (file name; annotation id) gives indexInDataset; the list is in stem order.
        m_byStem = {{1, "b", "b.png", 0},  {1, "k10", "", 1},       {1, "k2", "k2.png", 2},
                    {0, "a", "a.jpg", 0},  {0, "m", "m.tif", 1},     {0, "q", "", 2},
                    {0, "x", "x.jpg", 4},  {0, "x-1", "x-1.png", 3}};
    }

    void wholeGridInOrder() {
        const eval::EvaluationGrid grid(m_settings);
        const auto expected = expectedGrid();
        QCOMPARE(grid.itemCount(eval::ItemScope::WholeGrid), std::int64_t(24));
        std::size_t i = 0;
        grid.forEachItem(eval::ItemScope::WholeGrid, [&](const eval::EvaluationItem& item) {
            QVERIFY(i < expected.size());
            compare(item, expected[i].first, expected[i].second);
            ++i;
        });
        QCOMPARE(i, expected.size());
        QCOMPARE(grid.maskCount(0), std::int64_t(5));
        QCOMPARE(grid.maskCount(1), std::int64_t(3));
        compare(grid.item(0, 3, "mae"), m_byStem[7], "mae"); // the baselines' access by mask index
    }

    void shardsDealTheGlobalIndexModuloTheirCount() {
        const auto expected = expectedGrid();
        for (int shard = 0; shard < 5; ++shard) {
            auto settings = m_settings;
            settings.shardCount = 5;
            settings.shardIndex = shard;
            const eval::EvaluationGrid grid(settings);
            std::vector<std::size_t> kept;
            for (std::size_t i = 0; i < expected.size(); ++i)
                if (static_cast<int>(i % 5) == shard)
                    kept.push_back(i);
            QCOMPARE(grid.itemCount(eval::ItemScope::Shard), static_cast<std::int64_t>(kept.size()));
            std::size_t visited = 0;
            std::vector<std::pair<std::size_t, std::string>> groups;
            grid.forEachGroup(eval::ItemScope::Shard, [&](const eval::ItemGroup& group) {
                groups.push_back({group.datasetIndex(), group.init()});
                group.forEachItem([&](const eval::EvaluationItem& item) {
                    QVERIFY(visited < kept.size());
                    QCOMPARE(item.datasetIndex, group.datasetIndex());
                    QCOMPARE(item.init, group.init());
                    compare(item, expected[kept[visited]].first, expected[kept[visited]].second);
                    ++visited;
                });
            });
            QCOMPARE(visited, kept.size());
            // A group is visited when it holds an item of the shard, and once.
            std::vector<std::pair<std::size_t, std::string>> expectedGroups;
            for (const std::size_t i : kept) {
                const std::pair<std::size_t, std::string> group{expected[i].first.datasetIndex, expected[i].second};
                if (expectedGroups.empty() || expectedGroups.back() != group)
                    expectedGroups.push_back(group);
            }
            QCOMPARE(groups, expectedGroups);
        }
    }

    void aMissingFolderIsRefusedBeforeAnyItem() {
        auto settings = m_settings;
        settings.datasets[1].imagesDir = (m_root / "nowhere").string();
        QVERIFY_THROWS_EXCEPTION(intermap::UsageError, eval::EvaluationGrid{settings});
    }

    // Later rows of a stem replace earlier ones; a quoted name may hold a line break; a torn last
    // line is not a row, and is cut off when asked.
    void journalIndexFindsTheLastRowOfEachStem() {
        namespace journal = eval::score_journal;
        const std::vector<std::string> columns{"pointing_game"};
        const std::string path = (m_root / "journal" / "attention.csv").string();
        const std::string whole = "image,target_class,predicted_class,target_probability,pointing_game\n"
                                  "a,1,0,0.5,1.0\n"
                                  "b,1,1,0.25,0.0\n"
                                  "\"n\nl,\"\"q\"\"\",0,1,0.125,1.0\n"
                                  "a,1,1,0.75,0.5\n";
        touch(path, whole + "c,1,0,0.");
        const journal::JournalIndex index(path, columns, true);
        QCOMPARE(static_cast<std::size_t>(fs::file_size(path)), whole.size());
        struct Expected {
            std::string stem;
            std::int64_t targetClass, predictedClass;
            double probability, pointingGame;
        };
        for (const Expected& expected : {Expected{"a", 1, 1, 0.75, 0.5}, Expected{"b", 1, 1, 0.25, 0.0},
                                         Expected{"n\nl,\"q\"", 0, 1, 0.125, 1.0}}) {
            const auto found = index.find(expected.stem);
            QVERIFY2(found, expected.stem.c_str());
            QCOMPARE(found->stem, expected.stem);
            QCOMPARE(found->targetClass, expected.targetClass);
            QCOMPARE(found->predictedClass, expected.predictedClass);
            QCOMPARE(found->targetProbability, expected.probability);
            QCOMPARE(found->values, std::vector<double>{expected.pointingGame});
        }
        QCOMPARE(index.find("a")->targetProbability, 0.75);
        QVERIFY(!index.find("c"));
        QVERIFY(!index.find("n"));
        QVERIFY(!journal::JournalIndex((m_root / "journal" / "none.csv").string(), columns, false).find("a"));
        QVERIFY(!journal::JournalIndex(path, {"iou_top5"}, false).find("a")); // another journal's columns
    }

    // Merge's shards as one: the last journal with a stem's row wins, and however many journals
    // there are, at most the budget of them hold a file open (counted in /proc/self/fd too).
    void journalStackKeepsAtMostItsBudgetOfFilesOpen() {
        namespace journal = eval::score_journal;
        const std::vector<std::string> columns{"pointing_game"};
        constexpr int kShards = 7, kStems = 40, kBudget = 3;
        std::vector<std::string> paths;
        for (int shard = 0; shard < kShards; ++shard) {
            paths.push_back((m_root / "stack" / ("shard" + std::to_string(shard) + ".csv")).string());
            journal::writeJournal(paths.back(), columns, [&](const journal::RowSink& write) {
                for (int stem = shard; stem < kStems; stem += kShards) // dealt round-robin, as the grid deals items
                    write(journal::ScoreRow{"s" + std::to_string(stem), 1, 0, 0.5, {double(shard)}});
                if (shard == kShards - 1) // a stem shard 0 also has: the later shard's row wins
                    write(journal::ScoreRow{"s0", 1, 1, 0.25, {99.0}});
            });
        }
        const auto openDescriptors = [] {
            return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
        };
        const auto before = openDescriptors();
        journal::JournalStack stack(paths, columns, kBudget);
        for (int round = 0; round < 2; ++round)
            for (int stem = 0; stem < kStems; ++stem) {
                const auto row = stack.find("s" + std::to_string(stem));
                QVERIFY(row);
                QCOMPARE(row->values.front(), stem == 0 ? 99.0 : double(stem % kShards));
                QVERIFY(stack.openFiles() <= std::size_t(kBudget));
                QVERIFY2(openDescriptors() - before <= kBudget, qPrintable(QString::number(openDescriptors() - before)));
            }
        QCOMPARE(stack.openFiles(), std::size_t(kBudget));
        QVERIFY(!stack.find("s40"));

        rlimit saved{};
        QCOMPARE(getrlimit(RLIMIT_NOFILE, &saved), 0);
        rlimit lowered = saved;
        lowered.rlim_cur = 40;
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &lowered), 0);
        const auto budget = journal::journalFileBudget();
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &saved), 0);
        QCOMPARE(budget, std::size_t(10));
    }
};

QTEST_GUILESS_MAIN(TestEvaluationGrid)
#include "test_evaluation_grid.moc"
