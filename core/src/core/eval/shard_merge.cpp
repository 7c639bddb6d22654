// Joins the run folders of `evaluate --shard I/N` into the outputs of an unsharded run.
#include "run_folder.h"
#include "score_journal.h"

#include "intermap/eval/evaluation.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"

#include <filesystem>
#include <optional>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

namespace {

json settingsWithoutShard(const EvaluationSettings& settings) {
    json result = run_folder::settingsToJson(settings);
    result.erase("shard");
    return result;
}

// The shard folders by shard index, after checking that they are one complete set run with the
// same settings (UsageError naming the folder that is not).
std::vector<std::string> shardsByIndex(const std::vector<std::string>& shardDirs,
                                       const std::vector<EvaluationSettings>& shards) {
    const int count = shards.front().shardCount;
    std::vector<std::string> byIndex(static_cast<std::size_t>(count));
    const json reference = settingsWithoutShard(shards.front());
    for (std::size_t s = 0; s < shards.size(); ++s) {
        if (settingsWithoutShard(shards[s]) != reference)
            throw UsageError(shardDirs[s] + ": was run with other settings than " + shardDirs.front());
        if (shards[s].shardCount != count)
            throw UsageError(shardDirs[s] + ": is a shard of " + std::to_string(shards[s].shardCount) + ", " +
                             shardDirs.front() + " of " + std::to_string(count));
        auto& slot = byIndex[static_cast<std::size_t>(shards[s].shardIndex)];
        if (!slot.empty())
            throw UsageError(shardDirs[s] + " and " + slot + " are both shard " + std::to_string(shards[s].shardIndex));
        slot = shardDirs[s];
    }
    for (int i = 0; i < count; ++i)
        if (byIndex[static_cast<std::size_t>(i)].empty())
            throw UsageError("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing");
    return byIndex;
}

// Copies a shard's sub-folder `folder` into outDir's: "maps" (maps, item records and map
// settings; one group's map settings must agree across shards) or "sanity" (--sanity's tests,
// one model's in one shard).
void copyShardFolder(const std::string& shardDir, const std::string& outDir, const std::string& folder) {
    const fs::path maps = fs::path(shardDir) / folder;
    if (!fs::exists(maps))
        return;
    for (const auto& entry : fs::recursive_directory_iterator(maps)) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().filename().string();
        if (!name.empty() && name[0] == '.')
            continue; // an interrupted atomic write
        const fs::path target = fs::path(outDir) / folder / fs::relative(entry.path(), maps);
        const std::string content = run_folder::readTextFile(entry.path().string());
        if (fs::exists(target)) {
            if (name == "map-settings.json" && run_folder::readJsonFile(target.string()) != json::parse(content))
                throw UsageError(entry.path().string() + ": differs from " + target.string() +
                                 " (shards made with different checkpoints?)");
            if (run_folder::readTextFile(target.string()) == content)
                continue;
        }
        fs::create_directories(target.parent_path());
        writeFileAtomically(target.string(), content);
    }
}

// Joins the shards' score journals of every (data set, init) into outDir's, written atomically:
// per method, the row of each of the grid's stems in stem order (what an unsharded run's journal
// holds), from the last shard that has one. Nothing per image is held but each shard journal's
// index (JournalIndex: 16 bytes a row), and at most a quarter of the open-file limit of them open
// at once (JournalStack); rows of stems the grid no longer has (a mask removed since
// the shards ran) are left out, as phase 2 would not read them. A group's scoring.json must agree
// across shards (they ran with the same settings; a differing one means different checkpoints).
void mergeShardJournals(const std::vector<std::string>& shardDirs, const EvaluationSettings& merged) {
    const auto columns = score_journal::scoreColumns(merged);
    const EvaluationGrid grid(merged);
    grid.forEachGroup(ItemScope::WholeGrid, [&](const ItemGroup& group) {
        const std::string& dataset = merged.datasets[group.datasetIndex()].name;
        const std::string& init = group.init();
        std::optional<json> scoring;
        std::string scoringSource;
        std::vector<EvaluationSettings> scoredShards; // the shards that scored this group, in shard order
        for (const auto& directory : shardDirs) {
            EvaluationSettings shard = merged;
            shard.outDir = directory;
            const std::string path = score_journal::scoringSettingsPath(shard, dataset, init);
            if (!fs::exists(path))
                continue;
            const json stored = run_folder::readJsonFile(path);
            if (scoring && stored != *scoring)
                throw UsageError(path + ": differs from " + scoringSource + " (shards made with different checkpoints?)");
            scoring = stored;
            scoringSource = path;
            scoredShards.push_back(std::move(shard));
        }
        if (!scoring)
            return;
        run_folder::writeJsonFile(score_journal::scoringSettingsPath(merged, dataset, init), *scoring);
        for (const auto& method : merged.methods) {
            std::vector<std::string> paths;
            for (const auto& shard : scoredShards)
                paths.push_back(score_journal::journalPath(shard, dataset, init, method));
            score_journal::JournalStack journals(paths, columns, score_journal::journalFileBudget());
            score_journal::writeJournal(score_journal::journalPath(merged, dataset, init, method), columns,
                                        [&](const score_journal::RowSink& write) {
                                            group.forEachItem([&](const EvaluationItem& item) {
                                                if (const auto row = journals.find(item.stem))
                                                    write(*row);
                                            });
                                        });
        }
    });
}

} // namespace

ResultsSummary mergeShards(const std::vector<std::string>& shardDirs, const std::string& outDir) {
    if (shardDirs.empty())
        throw UsageError("no shard folder given");
    std::vector<EvaluationSettings> shards;
    for (const auto& directory : shardDirs)
        shards.push_back(readRunSettings(directory));
    const std::vector<std::string> byIndex = shardsByIndex(shardDirs, shards);

    EvaluationSettings merged = shards.front();
    merged.shardIndex = 0;
    merged.shardCount = 1;
    merged.outDir = outDir;
    for (const auto& directory : byIndex) {
        copyShardFolder(directory, outDir, "maps");
        copyShardFolder(directory, outDir, "sanity");
    }
    mergeShardJournals(byIndex, merged);
    writeRunSettings(merged);
    const json runInfo{{"merged_from", byIndex}};
    return writeResults(merged, ItemScope::WholeGrid, runInfo.dump());
}

} // namespace intermap::eval
