// Data sets: mask files and their pairing with images by stem.
#include "dataset_scan.h"

#include <map>
#include <set>

namespace fs = std::filesystem;

namespace intermap::data::detail {

std::vector<MaskFile> listMasks(const fs::path& root, std::vector<std::string>& warnings) {
    const fs::path masksDir = root / "masks";
    std::vector<MaskFile> masks;
    if (!isDirectory(masksDir))
        return masks;
    // imageFileNames refuses two masks of one stem in a folder (several formats).
    auto addFolder = [&](const fs::path& folder, const std::string& classFolder) {
        const std::string relativeFolder = relativeTo(root, folder);
        for (const auto& name : imageFileNames(folder, relativeFolder, warnings, classFolder.empty()))
            masks.push_back({classFolder, stemOf(name), (folder / name).string(), relativeTo(root, folder / name)});
    };
    addFolder(masksDir, "");
    for (const auto& classFolder : subfolderNames(masksDir))
        addFolder(masksDir / classFolder, classFolder);
    return masks;
}

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

} // namespace intermap::data::detail
