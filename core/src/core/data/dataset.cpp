// Data sets: the three layouts on disk and scanDataset, which picks one and assembles the splits.
#include "intermap/data/dataset.h"

#include "dataset_scan.h"

#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace intermap::data {

using namespace detail;

namespace {

// ---------------------------------------------------------------- layouts

struct ScanState {
    fs::path root;
    std::vector<std::string> warnings;
    std::vector<Candidate> train, val, test;
    std::vector<std::pair<std::string, std::string>> ignoredImages; // (folder, stem)
};

Candidate makeCandidate(const fs::path& root, const fs::path& file, const std::string& folder, std::int64_t label) {
    Candidate candidate;
    candidate.sample.imagePath = file.string();
    candidate.sample.relativePath = relativeTo(root, file);
    candidate.sample.label = label;
    candidate.folder = folder;
    candidate.stem = stemOf(file.filename().string());
    return candidate;
}

void scanFoldersLayout(ScanState& state, const DatasetOptions& options, DatasetSplits& result) {
    result.layout = "folders";
    const std::array<std::pair<const char*, std::vector<Candidate>*>, 3> splits{
        {{"train", &state.train}, {"val", &state.val}, {"test", &state.test}}};
    std::vector<std::string> presentSplits;
    std::set<std::string> allFolders;
    std::map<std::string, std::vector<std::string>> foldersOfSplit;
    for (const auto& [name, target] : splits) {
        if (!isDirectory(state.root / name))
            continue;
        presentSplits.push_back(name);
        foldersOfSplit[name] = subfolderNames(state.root / name);
        allFolders.insert(foldersOfSplit[name].begin(), foldersOfSplit[name].end());
    }
    const std::vector<std::string> folders(allFolders.begin(), allFolders.end());
    std::string where = state.root.string() + "/{";
    for (std::size_t i = 0; i < presentSplits.size(); ++i)
        where += (i ? "," : "") + presentSplits[i];
    where += "}";
    const ClassMapping classes = resolveClasses(options.classes, folders, where, state.warnings);
    result.classNames = classes.names;

    for (const auto& [name, target] : splits) {
        if (!isDirectory(state.root / name)) {
            if (std::string(name) == "test")
                state.warnings.push_back(state.root.string() + ": no test/ folder, the test split is empty");
            continue;
        }
        const std::set<std::string> here(foldersOfSplit[name].begin(), foldersOfSplit[name].end());
        for (const auto& [folder, label] : classes.labelOfFolder)
            if (!here.count(folder))
                state.warnings.push_back(std::string(name) + "/" + folder + ": missing, the " + name +
                                         " split has no images of that folder");
        for (const auto& folder : foldersOfSplit[name]) {
            const fs::path dir = state.root / name / folder;
            const auto labelIt = classes.labelOfFolder.find(folder);
            for (const auto& file : imageFileNames(dir, std::string(name) + "/" + folder, state.warnings)) {
                if (labelIt == classes.labelOfFolder.end()) {
                    if (std::string(name) == "test")
                        state.ignoredImages.emplace_back(folder, stemOf(file));
                    continue;
                }
                target->push_back(makeCandidate(state.root, dir / file, folder, labelIt->second));
            }
        }
    }
    if (state.val.empty()) {
        if (isDirectory(state.root / "val"))
            state.warnings.push_back(state.root.string() + "/val: no images of the listed classes; val is carved from train");
        carveValidation(state.train, state.val, options.valFraction, options.seed);
        result.valCarvedFromTrain = true;
    }
    std::vector<Candidate*> testImages;
    for (auto& candidate : state.test)
        testImages.push_back(&candidate);
    pairMasks(listMasks(state.root, state.warnings), testImages, state.ignoredImages, "test image", state.warnings);
}

// The folder holding the class folders of a split-file or no-split layout.
fs::path imageFolderOf(const fs::path& root) {
    return isDirectory(root / "images") ? root / "images" : root;
}

std::vector<std::string> classFoldersUnder(const fs::path& imageFolder, const fs::path& root) {
    // At the root itself, "images" and "masks" are not classes.
    return imageFolder == root ? subfolderNames(imageFolder, {"images", "masks"}) : subfolderNames(imageFolder);
}

void scanSplitFileLayout(ScanState& state, const DatasetOptions& options, const fs::path& splitFile,
                         DatasetSplits& result) {
    result.layout = "split-file";
    const fs::path imageFolder = imageFolderOf(state.root);
    const std::string imageFolderName = imageFolder == state.root ? state.root.string() : relativeTo(state.root, imageFolder);
    const std::vector<std::string> folders = classFoldersUnder(imageFolder, state.root);
    const ClassMapping classes = resolveClasses(options.classes, folders, imageFolder.string(), state.warnings);
    result.classNames = classes.names;

    std::ifstream in(splitFile, std::ios::binary);
    if (!in)
        throw UsageError(splitFile.string() + ": cannot open the split file");
    const std::string fileName = splitFile.filename().string();
    csv::RecordReader records(in);
    std::vector<std::string> header;
    if (!records.next(header))
        throw UsageError(splitFile.string() + ": the split file is empty (expected the header class,image,split)");
    if (header[0].size() >= 3 && std::memcmp(header[0].data(), "\xEF\xBB\xBF", 3) == 0)
        header[0].erase(0, 3); // UTF-8 byte-order mark (Excel)
    int classColumn = -1, imageColumn = -1, splitColumn = -1;
    for (std::size_t i = 0; i < header.size(); ++i) {
        const std::string name = lower(trim(header[i]));
        if (name == "class")
            classColumn = static_cast<int>(i);
        else if (name == "image")
            imageColumn = static_cast<int>(i);
        else if (name == "split")
            splitColumn = static_cast<int>(i);
    }
    if (classColumn < 0 || imageColumn < 0 || splitColumn < 0)
        throw UsageError(splitFile.string() + ": the header must name the columns class, image and split; found '" +
                         trim(records.text()) + "'");
    const std::size_t columns = header.size();

    std::vector<std::string> bad; // unreadable entries, reported together
    std::set<std::pair<std::string, std::string>> listed;
    const std::set<std::string> existingFolders(folders.begin(), folders.end());
    std::vector<std::string> fields;
    while (records.next(fields)) {
        const int lineNumber = records.lineNumber();
        if (trim(records.text()).empty())
            continue;
        const std::string at = fileName + " line " + std::to_string(lineNumber) + ": ";
        if (fields.size() != columns) {
            bad.push_back(at + "expected " + std::to_string(columns) + " fields, found " + std::to_string(fields.size()));
            continue;
        }
        const std::string folder = trim(fields[static_cast<std::size_t>(classColumn)]);
        const std::string image = trim(fields[static_cast<std::size_t>(imageColumn)]);
        const std::string split = lower(trim(fields[static_cast<std::size_t>(splitColumn)]));
        std::vector<Candidate>* target = split == "train" ? &state.train
                                        : split == "val"  ? &state.val
                                        : split == "test" ? &state.test
                                                          : nullptr;
        if (!target) {
            bad.push_back(at + "split '" + split + "' is not train, val or test");
            continue;
        }
        if (!existingFolders.count(folder)) {
            bad.push_back(at + "class folder '" + folder + "' does not exist under " + imageFolderName);
            continue;
        }
        if (image.empty()) {
            bad.push_back(at + "empty image name");
            continue;
        }
        if (!listed.insert({folder, image}).second) {
            bad.push_back(at + folder + "/" + image + " is listed again; the first entry is kept");
            continue;
        }
        const fs::path file = imageFolder / folder / image;
        const auto labelIt = classes.labelOfFolder.find(folder);
        if (labelIt == classes.labelOfFolder.end()) {
            state.ignoredImages.emplace_back(folder, stemOf(image));
            continue;
        }
        if (!isRegularFile(file)) {
            bad.push_back(at + relativeTo(state.root, file) + " does not exist");
            continue;
        }
        target->push_back(makeCandidate(state.root, file, folder, labelIt->second));
    }
    if (!bad.empty())
        state.warnings.push_back(std::to_string(bad.size()) + " unreadable entries of " + splitFile.string() +
                                 " skipped: " + joinNames(bad, 10));

    // Images on disk that the split file does not mention are not used.
    std::vector<std::string> unlisted;
    std::vector<std::string> scanWarnings; // the per-folder "not an image" notes
    for (const auto& [folder, label] : classes.labelOfFolder)
        for (const auto& file : imageFileNames(imageFolder / folder, relativeTo(state.root, imageFolder / folder),
                                               scanWarnings))
            if (!listed.count({folder, file}))
                unlisted.push_back(relativeTo(state.root, imageFolder / folder / file));
    state.warnings.insert(state.warnings.end(), scanWarnings.begin(), scanWarnings.end());
    if (!unlisted.empty())
        state.warnings.push_back(std::to_string(unlisted.size()) + " image(s) not listed in " + fileName +
                                 " are not used: " + joinNames(unlisted));
    if (state.test.empty())
        state.warnings.push_back(splitFile.string() + ": no test entries, the test split is empty");
    if (state.val.empty()) {
        carveValidation(state.train, state.val, options.valFraction, options.seed);
        result.valCarvedFromTrain = true;
    }
}

void scanUnsplitLayout(ScanState& state, const DatasetOptions& options, DatasetSplits& result) {
    result.layout = "folders";
    const fs::path imageFolder = imageFolderOf(state.root);
    const std::vector<std::string> folders = classFoldersUnder(imageFolder, state.root);
    const ClassMapping classes = resolveClasses(options.classes, folders, imageFolder.string(), state.warnings);
    result.classNames = classes.names;
    std::vector<Candidate> all;
    for (const auto& folder : folders) {
        const fs::path dir = imageFolder / folder;
        const auto labelIt = classes.labelOfFolder.find(folder);
        for (const auto& file : imageFileNames(dir, relativeTo(state.root, dir), state.warnings)) {
            if (labelIt == classes.labelOfFolder.end())
                state.ignoredImages.emplace_back(folder, stemOf(file));
            else
                all.push_back(makeCandidate(state.root, dir / file, folder, labelIt->second));
        }
    }
    generateSplits(std::move(all), state.train, state.val, state.test, options.valFraction, options.seed);
    result.splitsGenerated = true;
}

std::vector<Sample> finish(std::vector<Candidate>& candidates) {
    std::vector<Sample> samples;
    samples.reserve(candidates.size());
    for (auto& candidate : candidates)
        samples.push_back(std::move(candidate.sample));
    std::sort(samples.begin(), samples.end(),
              [](const Sample& a, const Sample& b) { return a.relativePath < b.relativePath; });
    return samples;
}

} // namespace

DatasetSplits scanDataset(const DatasetOptions& options) {
    if (options.root.empty())
        throw UsageError("no data set folder given");
    if (!(options.valFraction >= 0.0 && options.valFraction < 1.0))
        throw UsageError("validation fraction " + std::to_string(options.valFraction) + " is outside [0, 1)");
    std::error_code error;
    const fs::path root = fs::absolute(fs::path(options.root), error).lexically_normal();
    if (error || !fs::exists(root))
        throw UsageError(options.root + ": the data set folder does not exist");
    if (!isDirectory(root))
        throw UsageError(options.root + ": is not a folder (expected a data set folder)");

    ScanState state;
    // lexically_normal keeps a trailing separator ("/data/x/"); drop it so paths join cleanly.
    state.root = root.has_filename() ? root : root.parent_path();
    DatasetSplits result;
    result.root = state.root.string();

    const fs::path defaultSplitFile = state.root / "splits.csv";
    if (!options.splitFile.empty()) {
        if (!isRegularFile(options.splitFile))
            throw UsageError(options.splitFile + ": the split file does not exist");
        scanSplitFileLayout(state, options, fs::path(options.splitFile), result);
    } else if (isDirectory(state.root / "train")) {
        if (isRegularFile(defaultSplitFile))
            state.warnings.push_back(defaultSplitFile.string() +
                                     ": ignored, the train/ folder defines the splits (pass the split file "
                                     "explicitly to use it)");
        scanFoldersLayout(state, options, result);
    } else if (isRegularFile(defaultSplitFile)) {
        scanSplitFileLayout(state, options, defaultSplitFile, result);
    } else {
        scanUnsplitLayout(state, options, result);
        // Masks of a class-folder layout pair within their class, whatever the split.
    }
    if (result.splitsGenerated || result.layout == "split-file") {
        std::vector<Candidate*> images;
        for (auto* list : {&state.train, &state.val, &state.test})
            for (auto& candidate : *list)
                images.push_back(&candidate);
        pairMasks(listMasks(state.root, state.warnings), images, state.ignoredImages, "image", state.warnings);
    }
    if (state.train.empty() && state.val.empty() && state.test.empty())
        throw UsageError(result.root + ": no images found for the classes " + joinNames(result.classNames, 20) +
                         " (expected .png .jpg .jpeg .bmp .tif .tiff files in the class folders)");
    result.train = finish(state.train);
    result.val = finish(state.val);
    result.test = finish(state.test);
    result.warnings = std::move(state.warnings);
    return result;
}

} // namespace intermap::data
