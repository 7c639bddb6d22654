#include "view/map_cache.h"

namespace intermap::view {
namespace {
std::size_t bytesOf(const CachedMap& map) {
    return (map.values.size() + (map.eigenSign ? map.eigenSign->correctedMap.size() : 0)) * sizeof(float);
}
} // namespace

void MapCache::insert(const MapKey& key, CachedMap map) {
    auto found = m_entries.find(key);
    if (found != m_entries.end()) {
        m_bytes -= bytesOf(found->second.map);
        m_recency.erase(found->second.position);
        m_entries.erase(found);
    }
    m_recency.push_front(key);
    m_bytes += bytesOf(map);
    m_entries.emplace(key, Entry{std::move(map), m_recency.begin()});
    evict();
}

const CachedMap* MapCache::find(const MapKey& key) {
    auto found = m_entries.find(key);
    if (found == m_entries.end())
        return nullptr;
    m_recency.splice(m_recency.begin(), m_recency, found->second.position);
    return &found->second.map;
}

void MapCache::clear() {
    m_entries.clear();
    m_recency.clear();
    m_bytes = 0;
}

void MapCache::evict() {
    // The newest entry always stays, even when it alone exceeds the budget.
    while (m_bytes > m_budget && m_recency.size() > 1) {
        auto oldest = m_entries.find(m_recency.back());
        m_bytes -= bytesOf(oldest->second.map);
        m_entries.erase(oldest);
        m_recency.pop_back();
    }
}

} // namespace intermap::view
