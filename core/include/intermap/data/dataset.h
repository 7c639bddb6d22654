#pragma once
// Data-set layouts for training and evaluation: which images exist, their class, their split
// (train / val / test) and their annotation mask. Standard library only (no OpenCV, no Torch).
//
// Layouts (checked in this order):
//   split-file  an explicit DatasetOptions::splitFile, or (when there is no ROOT/train folder)
//               ROOT/splits.csv with the header `class,image,split` (columns in any order;
//               split is train, val or test, case-insensitive). `class` names the class FOLDER
//               and `image` a file inside it: ROOT/images/<class>/<image> when ROOT/images
//               exists, else ROOT/<class>/<image>. Masks: ROOT/masks/<class>/<stem>.* (any
//               split). Example: BUSI.
//   folders     ROOT/{train,val,test}/<class>/* (val and test optional; a missing test split is
//               a warning; a missing or empty val is carved from train). Masks: ROOT/masks/<stem>.* pairs with the TEST image of that stem
//               (of any class; a stem found in two test classes is ambiguous: warned, unpaired),
//               or ROOT/masks/<class>/<stem>.* with test/<class>/<stem>.*. Training images never
//               get a mask: CP-CHILD reuses test file names in train/. Example: CP-CHILD-A.
//   no split    ROOT/<class>/* or ROOT/images/<class>/* without any split: layout "folders"
//               with splitsGenerated = true (see below); masks as in split-file.
//
// Decisions a researcher should know:
//   * Images are the files ending in .png .jpg .jpeg .bmp .tif .tiff (any case) directly inside a
//     class folder (not in sub-folders); hidden files (".DS_Store", "._x.png") are skipped
//     silently, other files are skipped with one warning per folder. Each split lists its samples
//     sorted by relativePath (byte order), so results never depend on the file system's order.
//   * Class folders: the sorted folder names (ignoring hidden ones, and "images"/"masks" at the
//     root of a split-file or no-split layout) unless a class list is given. A folder not named
//     in the class list is ignored (one warning); a listed folder found nowhere is a UsageError.
//   * Generated splits are stratified by class FOLDER (a refinement of the label, so a merged
//     class such as lesion = benign + malignant keeps its composition in every split). For a
//     folder of n images: nVal = round(n * valFraction), nTest = round(n * 0.15) (round half away
//     from zero), each raised to 1 when it rounds to 0 and the folder has enough images to keep
//     at least one in train (so every folder appears in every split of a small data set).
//     With valFraction = 0.15 that is the 70/15/15 split; a carved val takes nVal the same way.
//   * Randomness is portable: std::mt19937_64 (its output sequence is fixed by the C++
//     standard) driven through util/seeded_random.h's Fisher–Yates shuffle and bounded draw, never
//     std::shuffle or std::uniform_*_distribution (whose algorithms differ between standard
//     libraries). A split therefore depends only on (seed, folder name, the sorted file names):
//     the same on every platform, and adding a folder does not reshuffle the others.
//   * Masks are paired by file stem (name without extension); a stem with masks in several
//     formats uses the first by name (warned). Masks that pair with no image are listed in one
//     warning.
#include <cstdint>
#include <string>
#include <vector>

namespace intermap::data {

// "normal,lesion=benign+malignant": classes in order; index = position; the LAST is the positive
// class 1 of a binary task. A name without '=' maps the folder of the same name. Empty text =
// the sorted folder names found. Throws UsageError on malformed text.
// Spaces around names are trimmed. Malformed: an empty item, name or folder; two '=' in one
// item; a class or folder named twice; fewer than two classes.
struct ClassSpec {
    std::string name;
    std::vector<std::string> folders;
};
std::vector<ClassSpec> parseClassList(const std::string& text);

struct Sample {
    std::string imagePath;     // absolute or as found under the root
    std::string relativePath;  // relative to the root (for fingerprints, reports)
    std::int64_t label = 0;    // class index
    std::string maskPath;      // empty when the image has no mask
};

struct DatasetOptions {
    std::string root;
    std::string splitFile;      // layout B's splits.csv; default ROOT/splits.csv when present
    std::string classes;        // parseClassList text; empty = sorted folder names
    std::uint64_t seed = 0;     // for generated splits
    double valFraction = 0.15;  // carved from train when there is no val split; in [0, 1)
};

struct DatasetSplits {
    std::string root;                       // absolute, normalised
    std::string layout;                     // "folders" (layout A) or "split-file" (layout B)
    std::vector<std::string> classNames;    // index = label
    std::vector<Sample> train, val, test;
    bool valCarvedFromTrain = false;        // no val split: seeded stratified valFraction of train
    bool splitsGenerated = false;           // no split at all: seeded stratified 70/15/15
    std::vector<std::string> warnings;      // e.g. unreadable entries of the split file, unmatched masks
};
// Throws UsageError (missing root, malformed class list or split file header, unknown class
// folder, fewer than two classes, no image at all).
DatasetSplits scanDataset(const DatasetOptions& options);

// SHA-256 (hex) over the sorted list of "relativePath\tsizeInBytes\n" of every sample of every split.
// Reads only file sizes (fast); identifies the data, not where it lives. Masks and split
// membership are not part of it. Throws ImageError when a sample's file has vanished.
std::string dataFingerprint(const DatasetSplits& splits);

} // namespace intermap::data
