#include "intermap/data/dataset.h"

#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace intermap::data {
namespace {

// Seed purposes, so that the carve and the generated split draw independent streams.
constexpr std::uint64_t kPurposeCarveVal = 0x7661'6c5f'6361'7276ULL;   // "val_carv"
constexpr std::uint64_t kPurposeGenerate = 0x7370'6c69'7467'656eULL;   // "splitgen"
constexpr double kGeneratedTestFraction = 0.15;

// ---------------------------------------------------------------- small text helpers

std::string trim(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
        ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
        --end;
    return std::string(text.substr(begin, end - begin));
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::vector<std::string> splitOn(const std::string& text, char separator) {
    std::vector<std::string> parts(1);
    for (char c : text) {
        if (c == separator)
            parts.emplace_back();
        else
            parts.back() += c;
    }
    return parts;
}

std::string joinNames(const std::vector<std::string>& names, std::size_t limit = 5) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < limit; ++i)
        text += (i ? ", " : "") + names[i];
    if (names.size() > limit)
        text += ", ... (" + std::to_string(names.size() - limit) + " more)";
    return text;
}

// FNV-1a: a stable hash of a folder name for per-folder seeds (std::hash is not portable).
std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

// ---------------------------------------------------------------- SHA-256 (FIPS 180-4)
// Kept here (a few dozen lines) so that the core library needs no crypto or Qt dependency.

class Sha256 {
public:
    void update(const std::string& bytes) {
        for (unsigned char c : bytes) {
            m_block[m_blockSize++] = c;
            if (m_blockSize == 64) {
                compress();
                m_blockSize = 0;
            }
        }
        m_totalBytes += bytes.size();
    }

    std::string hexDigest() {
        const std::uint64_t totalBits = m_totalBytes * 8;
        m_block[m_blockSize++] = 0x80;
        if (m_blockSize > 56) {
            std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_blockSize), m_block.end(), 0);
            compress();
            m_blockSize = 0;
        }
        std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_blockSize), m_block.begin() + 56, 0);
        for (int i = 0; i < 8; ++i)
            m_block[56 + i] = static_cast<unsigned char>(totalBits >> (56 - 8 * i));
        compress();
        static const char* const kHex = "0123456789abcdef";
        std::string hex;
        for (std::uint32_t word : m_state)
            for (int shift = 28; shift >= 0; shift -= 4)
                hex += kHex[(word >> shift) & 0xf];
        return hex;
    }

private:
    static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

    void compress() {
        static constexpr std::array<std::uint32_t, 64> kRound{
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        std::array<std::uint32_t, 64> w{};
        for (int i = 0; i < 16; ++i)
            w[i] = (std::uint32_t(m_block[4 * i]) << 24) | (std::uint32_t(m_block[4 * i + 1]) << 16) |
                   (std::uint32_t(m_block[4 * i + 2]) << 8) | std::uint32_t(m_block[4 * i + 3]);
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::uint32_t a = m_state[0], b = m_state[1], c = m_state[2], d = m_state[3];
        std::uint32_t e = m_state[4], f = m_state[5], g = m_state[6], h = m_state[7];
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            const std::uint32_t choose = (e & f) ^ (~e & g);
            const std::uint32_t t1 = h + s1 + choose + kRound[i] + w[i];
            const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
            const std::uint32_t t2 = s0 + majority;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        m_state[0] += a;
        m_state[1] += b;
        m_state[2] += c;
        m_state[3] += d;
        m_state[4] += e;
        m_state[5] += f;
        m_state[6] += g;
        m_state[7] += h;
    }

    std::array<std::uint32_t, 8> m_state{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<unsigned char, 64> m_block{};
    std::size_t m_blockSize = 0;
    std::uint64_t m_totalBytes = 0;
};

// ---------------------------------------------------------------- file system scanning

bool isImageFileName(const std::string& name) {
    const auto dot = name.rfind('.');
    if (dot == std::string::npos)
        return false;
    static const std::set<std::string> kExtensions{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};
    return kExtensions.count(lower(name.substr(dot))) > 0;
}

bool isHidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

bool isDirectory(const fs::path& path) {
    std::error_code error;
    return fs::is_directory(path, error);
}

bool isRegularFile(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

std::string stemOf(const std::string& fileName) { return fs::path(fileName).stem().string(); }

// Sorted names of the visible sub-folders of `folder`.
std::vector<std::string> subfolderNames(const fs::path& folder, const std::set<std::string>& excluded = {}) {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (isHidden(name) || excluded.count(name))
            continue;
        if (isDirectory(it->path()))
            names.push_back(name);
    }
    if (error)
        throw UsageError(folder.string() + ": cannot list the folder (" + error.message() + ")");
    std::sort(names.begin(), names.end());
    return names;
}

// Sorted image file names directly inside `folder`; other visible files are reported once.
std::vector<std::string> imageFileNames(const fs::path& folder, const std::string& relativeFolder,
                                        std::vector<std::string>& warnings, bool subfoldersExpected = false) {
    std::vector<std::string> names;
    std::vector<std::string> ignored;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (isHidden(name))
            continue;
        if (isRegularFile(it->path()) && isImageFileName(name))
            names.push_back(name);
        else if (!(subfoldersExpected && isDirectory(it->path())))
            ignored.push_back(name);
    }
    if (error)
        throw UsageError(folder.string() + ": cannot list the folder (" + error.message() + ")");
    std::sort(names.begin(), names.end());
    if (!ignored.empty()) {
        std::sort(ignored.begin(), ignored.end());
        warnings.push_back(relativeFolder + ": ignored " + std::to_string(ignored.size()) +
                           " entries that are not image files (.png .jpg .jpeg .bmp .tif .tiff): " +
                           joinNames(ignored));
    }
    return names;
}

std::string relativeTo(const fs::path& root, const fs::path& path) {
    return path.lexically_relative(root).generic_string();
}

// ---------------------------------------------------------------- classes

// The class list resolved against the folders that exist: folder -> label.
struct ClassMapping {
    std::vector<std::string> names;
    std::map<std::string, std::int64_t> labelOfFolder;
};

ClassMapping resolveClasses(const std::string& classText, const std::vector<std::string>& foldersFound,
                            const std::string& whereFolders, std::vector<std::string>& warnings) {
    ClassMapping mapping;
    std::vector<ClassSpec> specs = parseClassList(classText);
    if (specs.empty()) {
        if (foldersFound.size() < 2)
            throw UsageError(whereFolders + ": found " + std::to_string(foldersFound.size()) +
                             " class folder(s) (" + joinNames(foldersFound) +
                             "), a classifier needs at least two");
        for (const auto& folder : foldersFound)
            specs.push_back({folder, {folder}});
    }
    const std::set<std::string> found(foldersFound.begin(), foldersFound.end());
    for (std::size_t label = 0; label < specs.size(); ++label) {
        mapping.names.push_back(specs[label].name);
        for (const auto& folder : specs[label].folders) {
            if (!found.count(folder))
                throw UsageError(whereFolders + ": class folder '" + folder + "' (class '" + specs[label].name +
                                 "' of the class list) does not exist; found: " + joinNames(foldersFound, 20));
            mapping.labelOfFolder[folder] = static_cast<std::int64_t>(label);
        }
    }
    std::vector<std::string> ignored;
    for (const auto& folder : foldersFound)
        if (!mapping.labelOfFolder.count(folder))
            ignored.push_back(folder);
    if (!ignored.empty())
        warnings.push_back(whereFolders + ": class folders not in the class list are ignored: " +
                           joinNames(ignored, 20));
    return mapping;
}

// ---------------------------------------------------------------- splits

// A sample before its split is decided, with the class folder it came from (the stratum).
struct Candidate {
    Sample sample;
    std::string folder;
    std::string stem;
};

enum class SplitName { Train, Val, Test };

std::int64_t roundedCount(std::size_t n, double fraction) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(n) * fraction));
}

// Groups by class folder, each group sorted by relative path (the deterministic starting order).
std::map<std::string, std::vector<Candidate>> byFolder(std::vector<Candidate> candidates) {
    std::map<std::string, std::vector<Candidate>> groups;
    for (auto& candidate : candidates)
        groups[candidate.folder].push_back(std::move(candidate));
    for (auto& [folder, group] : groups)
        std::sort(group.begin(), group.end(),
                  [](const Candidate& a, const Candidate& b) { return a.sample.relativePath < b.sample.relativePath; });
    return groups;
}

// Moves a seeded, folder-stratified `fraction` of `train` into `val`.
void carveValidation(std::vector<Candidate>& train, std::vector<Candidate>& val, double fraction,
                     std::uint64_t seed) {
    auto groups = byFolder(std::move(train));
    train.clear();
    for (auto& [folder, group] : groups) {
        std::mt19937_64 rng(mixSeed(mixSeed(seed, kPurposeCarveVal), fnv1a(folder)));
        fisherYatesShuffle(group, rng);
        const std::int64_t n = static_cast<std::int64_t>(group.size());
        std::int64_t nVal = roundedCount(group.size(), fraction);
        if (nVal == 0 && fraction > 0 && n >= 2)
            nVal = 1;
        nVal = std::min(nVal, std::max<std::int64_t>(n - 1, 0));
        for (std::int64_t i = 0; i < n; ++i)
            (i < nVal ? val : train).push_back(std::move(group[static_cast<std::size_t>(i)]));
    }
}

// Seeded, folder-stratified test (15 %) / val (valFraction) / train (the rest).
void generateSplits(std::vector<Candidate> all, std::vector<Candidate>& train, std::vector<Candidate>& val,
                    std::vector<Candidate>& test, double valFraction, std::uint64_t seed) {
    auto groups = byFolder(std::move(all));
    for (auto& [folder, group] : groups) {
        std::mt19937_64 rng(mixSeed(mixSeed(seed, kPurposeGenerate), fnv1a(folder)));
        fisherYatesShuffle(group, rng);
        const std::int64_t n = static_cast<std::int64_t>(group.size());
        std::int64_t nTest = roundedCount(group.size(), kGeneratedTestFraction);
        if (nTest == 0 && n - 1 >= 1)
            nTest = 1;
        std::int64_t nVal = roundedCount(group.size(), valFraction);
        if (nVal == 0 && valFraction > 0 && n - nTest - 1 >= 1)
            nVal = 1;
        nTest = std::min(nTest, std::max<std::int64_t>(n - 1, 0));
        nVal = std::min(nVal, std::max<std::int64_t>(n - 1 - nTest, 0));
        for (std::int64_t i = 0; i < n; ++i) {
            auto& target = i < nTest ? test : (i < nTest + nVal ? val : train);
            target.push_back(std::move(group[static_cast<std::size_t>(i)]));
        }
    }
}

// ---------------------------------------------------------------- masks

struct MaskFile {
    std::string folder; // class folder, or empty for a flat ROOT/masks/<stem>.*
    std::string stem;
    std::string path;
    std::string relativePath;
};

std::vector<MaskFile> listMasks(const fs::path& root, std::vector<std::string>& warnings) {
    const fs::path masksDir = root / "masks";
    std::vector<MaskFile> masks;
    if (!isDirectory(masksDir))
        return masks;
    // Duplicates (same folder and stem, several formats): the first by name wins.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> seen;
    auto addFolder = [&](const fs::path& folder, const std::string& classFolder) {
        const std::string relativeFolder = relativeTo(root, folder);
        for (const auto& name : imageFileNames(folder, relativeFolder, warnings, classFolder.empty())) {
            const std::string stem = stemOf(name);
            auto& names = seen[{classFolder, stem}];
            names.push_back(name);
            if (names.size() == 1)
                masks.push_back({classFolder, stem, (folder / name).string(), relativeTo(root, folder / name)});
        }
    };
    addFolder(masksDir, "");
    for (const auto& classFolder : subfolderNames(masksDir))
        addFolder(masksDir / classFolder, classFolder);
    for (const auto& [key, names] : seen)
        if (names.size() > 1)
            warnings.push_back("masks/" + (key.first.empty() ? "" : key.first + "/") + ": several masks for '" +
                               key.second + "' (" + joinNames(names) + "); using " + names.front());
    return masks;
}

// Pairs masks with `images` (pointers into the candidate lists; `ignoredImages` are images of
// folders left out of the class list: a mask that pairs with one is not reported as unmatched).
void pairMasks(const std::vector<MaskFile>& masks, const std::vector<Candidate*>& images,
               const std::vector<std::pair<std::string, std::string>>& ignoredImages, const std::string& pairedWith,
               std::vector<std::string>& warnings) {
    if (masks.empty())
        return;
    std::map<std::pair<std::string, std::string>, Candidate*> byFolderStem;
    std::map<std::string, std::vector<Candidate*>> byStem;
    for (Candidate* image : images) {
        byFolderStem[{image->folder, image->stem}] = image;
        byStem[image->stem].push_back(image);
    }
    std::set<std::pair<std::string, std::string>> ignoredFolderStem(ignoredImages.begin(), ignoredImages.end());
    std::set<std::string> ignoredStem;
    for (const auto& [folder, stem] : ignoredImages)
        ignoredStem.insert(stem);

    std::vector<std::string> unmatched;
    // Folder-specific masks first: they are unambiguous and win over a flat mask of the same stem.
    for (const auto& mask : masks) {
        if (mask.folder.empty())
            continue;
        auto it = byFolderStem.find({mask.folder, mask.stem});
        if (it != byFolderStem.end())
            it->second->sample.maskPath = mask.path;
        else if (!ignoredFolderStem.count({mask.folder, mask.stem}))
            unmatched.push_back(mask.relativePath);
    }
    for (const auto& mask : masks) {
        if (!mask.folder.empty())
            continue;
        auto it = byStem.find(mask.stem);
        if (it == byStem.end()) {
            if (!ignoredStem.count(mask.stem))
                unmatched.push_back(mask.relativePath);
            continue;
        }
        if (it->second.size() > 1) {
            std::vector<std::string> names;
            for (const Candidate* image : it->second)
                names.push_back(image->sample.relativePath);
            warnings.push_back(mask.relativePath + ": ambiguous, its stem matches " + joinNames(names) +
                               "; not used (put it in masks/<class>/ to pair it)");
            continue;
        }
        if (it->second.front()->sample.maskPath.empty())
            it->second.front()->sample.maskPath = mask.path;
    }
    if (!unmatched.empty())
        warnings.push_back(std::to_string(unmatched.size()) + " mask file(s) pair with no " + pairedWith +
                           " and are ignored: " + joinNames(unmatched));
}

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
    std::string line;
    if (!std::getline(in, line))
        throw UsageError(splitFile.string() + ": the split file is empty (expected the header class,image,split)");
    if (line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0)
        line.erase(0, 3); // UTF-8 byte-order mark (Excel)
    const auto header = csv::splitRecord(line);
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
                         trim(line) + "'");
    const std::size_t columns = header.size();

    std::vector<std::string> bad; // unreadable entries, reported together
    std::set<std::pair<std::string, std::string>> listed;
    const std::set<std::string> existingFolders(folders.begin(), folders.end());
    int lineNumber = 1;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (trim(line).empty())
            continue;
        const auto fields = csv::splitRecord(line);
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

// ---------------------------------------------------------------- public

std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b) {
    auto splitMix = [](std::uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    };
    return splitMix(splitMix(a) ^ b);
}

std::uint64_t uniformBelow(std::mt19937_64& rng, std::uint64_t n) {
    if (n == 0)
        throw Error("uniformBelow: empty range");
    // Reject the lowest 2^64 mod n outputs so that every residue is equally likely.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
        const std::uint64_t value = rng();
        if (value >= threshold)
            return value % n;
    }
}

double uniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::vector<ClassSpec> parseClassList(const std::string& text) {
    std::vector<ClassSpec> specs;
    if (trim(text).empty())
        return specs;
    auto fail = [&](const std::string& why) {
        throw UsageError("class list '" + text + "': " + why +
                         " (expected e.g. 'normal,lesion=benign+malignant': classes separated by ',', "
                         "a class may merge folders with 'name=folder+folder'; the last class is the positive one)");
    };
    std::set<std::string> names;
    std::set<std::string> folders;
    const auto items = splitOn(text, ',');
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item = trim(items[i]);
        const std::string position = "item " + std::to_string(i + 1);
        if (item.empty())
            fail(position + " is empty");
        ClassSpec spec;
        const auto parts = splitOn(item, '=');
        if (parts.size() > 2)
            fail(position + " ('" + item + "') has more than one '='");
        spec.name = trim(parts[0]);
        if (spec.name.empty())
            fail(position + " ('" + item + "') has no class name");
        if (parts.size() == 1) {
            spec.folders.push_back(spec.name);
        } else {
            for (const auto& folderText : splitOn(parts[1], '+')) {
                const std::string folder = trim(folderText);
                if (folder.empty())
                    fail(position + " ('" + item + "') has an empty folder name");
                spec.folders.push_back(folder);
            }
        }
        if (!names.insert(spec.name).second)
            fail("class '" + spec.name + "' is named twice");
        for (const auto& folder : spec.folders)
            if (!folders.insert(folder).second)
                fail("folder '" + folder + "' is used twice");
        specs.push_back(std::move(spec));
    }
    if (specs.size() < 2)
        fail("a classifier needs at least two classes");
    return specs;
}

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

std::string dataFingerprint(const DatasetSplits& splits) {
    std::vector<std::string> lines;
    for (const auto* list : {&splits.train, &splits.val, &splits.test}) {
        for (const auto& sample : *list) {
            std::error_code error;
            const auto size = fs::file_size(sample.imagePath, error);
            if (error)
                throw ImageError(sample.imagePath, "cannot read the file size for the data fingerprint (" +
                                                       error.message() + ")");
            lines.push_back(sample.relativePath + "\t" + std::to_string(size) + "\n");
        }
    }
    std::sort(lines.begin(), lines.end());
    Sha256 hash;
    for (const auto& line : lines)
        hash.update(line);
    return hash.hexDigest();
}

} // namespace intermap::data
