#include "storage/log_manager.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "storage/checkpoint_file.h"
#include "storage/errc.h"
#include "storage/file_names.h"
#include "storage/index_files.h"

namespace storage {

namespace fs = std::filesystem;

namespace {

// Java properties subset: "key=value" lines, '#' comments.
std::map<std::string, std::string> read_properties(const fs::path& p) {
    std::map<std::string, std::string> out;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line[0] == '!') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

}  // namespace

result<std::unique_ptr<log_manager>> log_manager::open(std::vector<fs::path> log_dirs,
                                                       log_config defaults, int64_t now_ms) {
    if (log_dirs.empty()) return errc::invalid_argument;
    std::unique_ptr<log_manager> m(new log_manager(log_dirs, defaults));
    for (size_t i = 0; i < log_dirs.size(); ++i) {
        const fs::path& dir = log_dirs[i];
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) return errc::io_error;
        BROOK_STORAGE_TRY(auto hw, read_offset_checkpoint(dir / replication_offset_checkpoint_file));
        m->high_watermarks_.push_back(std::move(hw));
        BROOK_STORAGE_TRY(auto starts, read_offset_checkpoint(dir / log_start_offset_checkpoint_file));
        BROOK_STORAGE_TRY(auto recovery, read_offset_checkpoint(dir / recovery_point_checkpoint_file));
        const fs::path marker = dir / clean_shutdown_file;
        const bool clean = fs::exists(marker, ec);
        for (const auto& d : fs::directory_iterator(dir, ec)) {
            if (!d.is_directory()) continue;
            auto tp = parse_partition_dir(d.path().filename().string());
            if (!tp) continue;  // e.g. "<topic>-<p>.<id>-delete" leftovers, lost+found
            if (m->logs_.contains(*tp)) return errc::already_exists;
            log_checkpoints cp;
            if (auto s = starts.find(*tp); s != starts.end()) cp.log_start_offset = s->second;
            if (auto r = recovery.find(*tp); r != recovery.end()) cp.recovery_point = r->second;
            BROOK_STORAGE_TRY(auto l, log::open(d.path(), defaults,
                                                clean ? shutdown_state::clean
                                                      : shutdown_state::unclean,
                                                now_ms, cp));
            m->logs_.emplace(*tp, entry{std::move(l), i});
        }
        if (ec) return errc::io_error;
        if (clean) {
            fs::remove(marker, ec);
            if (ec) return errc::io_error;
        }
    }
    return m;
}

log_manager::~log_manager() {
    if (!shut_down_) (void)shutdown();
}

result<void> log_manager::check_meta(int32_t broker_id, const std::string& cluster_id) {
    std::lock_guard lock(mutex_);
    for (const auto& dir : dirs_) {
        const fs::path p = dir / meta_file;
        std::error_code ec;
        if (fs::exists(p, ec)) {
            auto props = read_properties(p);
            if (props.count("broker.id") && props["broker.id"] != std::to_string(broker_id)) {
                return errc::inconsistent_broker_id;
            }
            if (props.count("cluster.id") && !cluster_id.empty() &&
                props["cluster.id"] != cluster_id) {
                return errc::inconsistent_cluster_id;
            }
            continue;
        }
        std::ostringstream out;
        out << "#\n#Written by brook\nversion=0\nbroker.id=" << broker_id << "\n";
        if (!cluster_id.empty()) out << "cluster.id=" << cluster_id << "\n";
        BROOK_STORAGE_TRYV(write_file_atomically(p, out.str()));
    }
    return success();
}

log* log_manager::get(const std::string& topic, int32_t partition) const {
    std::lock_guard lock(mutex_);
    auto it = logs_.find({topic, partition});
    return it == logs_.end() ? nullptr : it->second.l.get();
}

result<log*> log_manager::get_or_create(const std::string& topic, int32_t partition,
                                        const log_config& cfg, int64_t now_ms) {
    if (!is_valid_topic_name(topic) || partition < 0) return errc::invalid_argument;
    std::lock_guard lock(mutex_);
    if (shut_down_) return errc::log_closed;
    if (auto it = logs_.find({topic, partition}); it != logs_.end()) {
        it->second.l->set_config(cfg);
        return it->second.l.get();
    }
    std::vector<size_t> counts(dirs_.size(), 0);
    for (const auto& [k, e] : logs_) ++counts[e.dir_index];
    size_t best = 0;
    for (size_t i = 1; i < counts.size(); ++i) {
        if (counts[i] < counts[best]) best = i;
    }
    BROOK_STORAGE_TRY(auto l, log::open(dirs_[best] / partition_dir_name(topic, partition), cfg,
                                        shutdown_state::unclean, now_ms));
    log* raw = l.get();
    logs_.emplace(key{topic, partition}, entry{std::move(l), best});
    return raw;
}

result<void> log_manager::remove(const std::string& topic, int32_t partition) {
    std::unique_ptr<log> victim;
    {
        std::lock_guard lock(mutex_);
        auto it = logs_.find({topic, partition});
        if (it == logs_.end()) return success();
        victim = std::move(it->second.l);
        logs_.erase(it);
        // A partition created again later must not start from this one's high watermark.
        for (auto& dir_hw : high_watermarks_) dir_hw.erase({topic, partition});
    }
    return victim->remove();
}

std::vector<std::pair<std::string, int32_t>> log_manager::partitions() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, int32_t>> out;
    out.reserve(logs_.size());
    for (const auto& [k, e] : logs_) out.push_back(k);
    return out;
}

std::optional<int64_t> log_manager::checkpointed_high_watermark(const std::string& topic,
                                                                int32_t partition) const {
    std::lock_guard lock(mutex_);
    auto l = logs_.find({topic, partition});
    if (l == logs_.end()) return std::nullopt;
    const partition_offsets& dir_hw = high_watermarks_[l->second.dir_index];
    auto it = dir_hw.find({topic, partition});
    if (it == dir_hw.end()) return std::nullopt;
    return it->second;
}

result<void> log_manager::checkpoint_high_watermarks(const partition_offsets& hw) {
    std::lock_guard checkpoint_lock(checkpoint_mutex_);
    std::vector<partition_offsets> per_dir(dirs_.size());
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) return errc::log_closed;
        for (const auto& [tp, offset] : hw) {
            auto it = logs_.find(tp);
            if (it != logs_.end()) per_dir[it->second.dir_index].emplace(tp, offset);
        }
    }
    std::error_code first_error;
    for (size_t i = 0; i < dirs_.size(); ++i) {
        // One failed dir does not keep the others from getting theirs.
        if (auto r = write_offset_checkpoint(dirs_[i] / replication_offset_checkpoint_file,
                                             per_dir[i]);
            !r) {
            if (!first_error) first_error = r.error();
            continue;
        }
        std::lock_guard lock(mutex_);
        // A partition removed while the file was written must not come back with its value.
        std::erase_if(per_dir[i], [&](const auto& e) { return !logs_.contains(e.first); });
        high_watermarks_[i] = std::move(per_dir[i]);
    }
    if (first_error) return first_error;
    return success();
}

result<void> log_manager::checkpoint_log_start_offsets() {
    return write_per_dir(log_start_offset_checkpoint_file, &log::log_start_offset);
}

result<void> log_manager::checkpoint_recovery_points() {
    return write_per_dir(recovery_point_checkpoint_file, &log::recovery_point);
}

result<void> log_manager::write_per_dir(std::string_view file_name, int64_t (log::*value)() const) {
    std::vector<partition_offsets> per_dir(dirs_.size());
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) return errc::log_closed;
        // Both values are atomics in log: reading them here races with no owner.
        for (const auto& [tp, e] : logs_) per_dir[e.dir_index].emplace(tp, (e.l.get()->*value)());
    }
    return write_per_dir(file_name, std::move(per_dir));
}

result<void> log_manager::write_per_dir(std::string_view file_name,
                                        std::vector<partition_offsets> per_dir) {
    std::lock_guard checkpoint_lock(checkpoint_mutex_);
    std::error_code first_error;
    for (size_t i = 0; i < dirs_.size(); ++i) {
        // One failed dir does not keep the others from getting theirs.
        if (auto r = write_offset_checkpoint(dirs_[i] / file_name, per_dir[i]); !r && !first_error) {
            first_error = r.error();
        }
    }
    if (first_error) return first_error;
    return success();
}

result<void> log_manager::shutdown() {
    std::vector<partition_offsets> starts(dirs_.size()), recovery(dirs_.size());
    std::error_code first_error;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) return success();
        shut_down_ = true;
        for (auto& [k, e] : logs_) {
            if (auto r = e.l->flush(); !r && !first_error) first_error = r.error();
            starts[e.dir_index].emplace(k, e.l->log_start_offset());
            recovery[e.dir_index].emplace(k, e.l->recovery_point());
            e.l->close();
        }
        logs_.clear();
    }
    BROOK_STORAGE_TRYV(write_per_dir(log_start_offset_checkpoint_file, std::move(starts)));
    BROOK_STORAGE_TRYV(write_per_dir(recovery_point_checkpoint_file, std::move(recovery)));
    // Only a fully flushed shutdown may skip recovery next time.
    if (first_error) return first_error;
    for (const auto& dir : dirs_) {
        BROOK_STORAGE_TRYV(write_file_atomically(dir / clean_shutdown_file, ""));
    }
    return success();
}

}  // namespace storage
