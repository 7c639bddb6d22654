#pragma once
// The pieces scanDataset (dataset.cpp) is built from, private to core/src/data: text and folder
// listing and the class list (dataset_listing.cpp), the seeded splits (dataset_splits.cpp) and
// the pairing of masks with images (dataset_masks.cpp).
#include "intermap/data/dataset.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace intermap::data::detail {

// ---------------------------------------------------------------- text (dataset_listing.cpp)

std::string trim(std::string_view text); // without leading and trailing white space
std::string lower(std::string text);     // ASCII lower case
std::vector<std::string> splitOn(const std::string& text, char separator);
// "a, b, c, ... (n more)" for messages: at most `limit` names.
std::string joinNames(const std::vector<std::string>& names, std::size_t limit = 5);

// ---------------------------------------------------------------- folders (dataset_listing.cpp)

bool isHidden(const std::string& name); // ".DS_Store", "._x.png"
// Without throwing: a path that cannot be inspected is neither.
bool isDirectory(const std::filesystem::path& path);
bool isRegularFile(const std::filesystem::path& path);
std::string stemOf(const std::string& fileName);

// Sorted names of the visible sub-folders of `folder`.
std::vector<std::string> subfolderNames(const std::filesystem::path& folder, const std::set<std::string>& excluded = {});

// Sorted image file names directly inside `folder`; other visible files are reported once.
std::vector<std::string> imageFileNames(const std::filesystem::path& folder, const std::string& relativeFolder,
                                        std::vector<std::string>& warnings, bool subfoldersExpected = false);

// `path` relative to `root` with '/' separators (as samples and messages show it).
std::string relativeTo(const std::filesystem::path& root, const std::filesystem::path& path);

// ---------------------------------------------------------------- classes (dataset_listing.cpp)

// The class list resolved against the folders that exist: folder -> label.
struct ClassMapping {
    std::vector<std::string> names;
    std::map<std::string, std::int64_t> labelOfFolder;
};

ClassMapping resolveClasses(const std::string& classText, const std::vector<std::string>& foldersFound,
                            const std::string& whereFolders, std::vector<std::string>& warnings);

// ---------------------------------------------------------------- splits (dataset_splits.cpp)

// A sample before its split is decided, with the class folder it came from (the stratum).
struct Candidate {
    Sample sample;
    std::string folder;
    std::string stem;
};

// Moves a seeded, folder-stratified `fraction` of `train` into `val`.
void carveValidation(std::vector<Candidate>& train, std::vector<Candidate>& val, double fraction,
                     std::uint64_t seed);

// Seeded, folder-stratified test (15 %) / val (valFraction) / train (the rest).
void generateSplits(std::vector<Candidate> all, std::vector<Candidate>& train, std::vector<Candidate>& val,
                    std::vector<Candidate>& test, double valFraction, std::uint64_t seed);

// ---------------------------------------------------------------- masks (dataset_masks.cpp)

struct MaskFile {
    std::string folder; // class folder, or empty for a flat ROOT/masks/<stem>.*
    std::string stem;
    std::string path;
    std::string relativePath;
};

// Every mask under ROOT/masks (flat or per class folder); of several with one stem, the first by
// name (warned).
std::vector<MaskFile> listMasks(const std::filesystem::path& root, std::vector<std::string>& warnings);

// Pairs masks with `images` (pointers into the candidate lists; `ignoredImages` are images of
// folders left out of the class list: a mask that pairs with one is not reported as unmatched).
void pairMasks(const std::vector<MaskFile>& masks, const std::vector<Candidate*>& images,
               const std::vector<std::pair<std::string, std::string>>& ignoredImages, const std::string& pairedWith,
               std::vector<std::string>& warnings);

} // namespace intermap::data::detail
