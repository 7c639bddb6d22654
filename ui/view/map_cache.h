#pragma once
// Maps already computed, so that going back to an image, switching the colour map or toggling a
// method never recomputes anything. Keyed by everything a map depends on; least recently used
// maps are dropped beyond a byte budget. GUI thread only (not synchronised).
#include "intermap/explain/eigen_sign.h"

#include <QString>

#include <cstddef>
#include <list>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

namespace intermap::view {

struct MapKey {
    QString imagePath;   // absolute
    QString modelId;     // checkpoint path + its size and modification time
    QString method;
    QString settings;    // recipe, target, method options: everything else that changes a map

    bool operator<(const MapKey& other) const {
        return std::tie(imagePath, modelId, method, settings) <
               std::tie(other.imagePath, other.modelId, other.method, other.settings);
    }
};

struct CachedMap {
    std::vector<float> values; // row-major, width x height
    int width = 0;
    int height = 0;
    // Grad-CAM eigen-smooth in the study's sign: what the corrected sign would change (kept with
    // its map so that both leave the cache together).
    std::optional<explain::EigenSignCheck> eigenSign = std::nullopt;
};

class MapCache {
public:
    explicit MapCache(std::size_t budgetBytes = std::size_t(512) << 20) : m_budget(budgetBytes) {}

    void insert(const MapKey& key, CachedMap map);
    // The map, marked most recently used; null when absent (valid until the next insert).
    const CachedMap* find(const MapKey& key);
    bool contains(const MapKey& key) const { return m_entries.count(key) > 0; }
    std::size_t size() const { return m_entries.size(); }
    std::size_t bytes() const { return m_bytes; }
    void clear();

private:
    void evict();

    std::size_t m_budget;
    std::size_t m_bytes = 0;
    std::list<MapKey> m_recency; // front = most recent
    struct Entry {
        CachedMap map;
        std::list<MapKey>::iterator position;
    };
    std::map<MapKey, Entry> m_entries;
};

} // namespace intermap::view
