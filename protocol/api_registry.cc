#include "protocol/api_registry.h"

#include <algorithm>
#include <tuple>

#include "protocol/messages/all.h"

namespace protocol {

namespace {

template <class Api>
constexpr bool matches_generated() {
    for (const auto& a : api_table) {
        if (a.key == Api::key) {
            return a.name == Api::name && a.first_flexible == Api::first_flexible &&
                   a.min_version >= Api::min_version && a.max_version <= Api::max_version &&
                   a.min_version <= a.max_version;
        }
    }
    return false;
}

template <class... Apis>
constexpr bool all_match(std::tuple<Apis...>*) {
    return (matches_generated<Apis>() && ...) && sizeof...(Apis) == api_table.size();
}

constexpr bool sorted_by_key() {
    for (size_t i = 1; i < api_table.size(); ++i) {
        if (api_table[i - 1].key >= api_table[i].key) return false;
    }
    return true;
}

static_assert(all_match(static_cast<all_apis*>(nullptr)),
              "api_table must list every generated API, inside its schema's validVersions, with "
              "the schema's name and first flexible version");
static_assert(sorted_by_key(), "api_table must be sorted by key");

}  // namespace

const api_info* find_api(int16_t key) {
    auto it = std::lower_bound(api_table.begin(), api_table.end(), key,
                               [](const api_info& a, int16_t k) { return a.key < k; });
    if (it == api_table.end() || it->key != key) return nullptr;
    return &*it;
}

std::span<const api_info> supported_apis() { return api_table; }

bool is_supported(int16_t key, int16_t version) {
    const api_info* a = find_api(key);
    return a && version >= a->min_version && version <= a->max_version;
}

bool is_flexible(int16_t key, int16_t version) {
    const api_info* a = find_api(key);
    return a && a->first_flexible >= 0 && version >= a->first_flexible;
}

int request_header_version(int16_t key, int16_t version) { return is_flexible(key, version) ? 2 : 1; }

int response_header_version(int16_t key, int16_t version) {
    if (key == api_versions_key) return 0;
    return is_flexible(key, version) ? 1 : 0;
}

}  // namespace protocol
