#include "tests/support/zk_reader.h"

#include <algorithm>
#include <sstream>

#include "tests/support/fixture_error.h"
#include "tests/support/process.h"

#ifndef BROOK_ZK_TOOL
#define BROOK_ZK_TOOL "zk_tool.py"
#endif

namespace test_support {
namespace {

std::vector<int> parse_ids(const std::string& csv) {
    std::vector<int> out;
    std::istringstream in(csv);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(std::stoi(item));
    }
    return out;
}

std::string join_ids(const std::vector<int>& ids) {
    std::string s;
    for (int id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}

// "key=value" -> value, checking the key.
std::string field(const std::string& token, const std::string& key) {
    if (token.rfind(key + "=", 0) != 0) throw fixture_error("zk_tool: expected " + key + "= in '" + token + "'");
    return token.substr(key.size() + 1);
}

}  // namespace

std::string zk_tool_path() { return BROOK_ZK_TOOL; }

std::vector<std::string> zk_reader::tool_argv(const std::string& op,
                                              const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/python3", zk_tool_path(), hosts_, op};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string zk_reader::run(const std::string& op, const std::vector<std::string>& args) const {
    auto r = run_command(tool_argv(op, args), std::chrono::seconds(60));
    if (r.exit_code() == 3) {
        throw fixture_error("znode " + (args.empty() ? std::string() : args[0]) + " does not exist");
    }
    if (!r.status.success()) {
        throw fixture_error("zk_tool " + op + " " + (args.empty() ? std::string() : args[0]) +
                            " failed: " + r.describe());
    }
    return r.out;
}

std::vector<std::string> zk_reader::children(const std::string& path) const {
    std::vector<std::string> names;
    std::istringstream in(run("children", {path}));
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) names.push_back(line);
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool zk_reader::exists(const std::string& path) const { return run("exists", {path}) == "1"; }

std::string zk_reader::get(const std::string& path) const { return run("get", {path}); }

std::optional<std::int64_t> zk_reader::ephemeral_owner(const std::string& path) const {
    try {
        return std::stoll(run("owner", {path}));
    } catch (const fixture_error& e) {
        if (std::string(e.what()).find("does not exist") != std::string::npos) return std::nullopt;
        throw;
    }
}

std::string zk_reader::dump(const std::string& path) const { return run("dump", {path}); }

void zk_reader::create(const std::string& path, const std::string& data) const {
    run("create", {path, data});
}

void zk_reader::set(const std::string& path, const std::string& data) const { run("set", {path, data}); }

void zk_reader::remove(const std::string& path) const { run("delete", {path}); }

cluster_view zk_reader::cluster(const std::string& chroot, const std::vector<std::string>& topics) const {
    std::vector<std::string> args{chroot};
    args.insert(args.end(), topics.begin(), topics.end());
    std::string out = run("cluster", args);
    cluster_view v;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream ls(line);
        std::string kind;
        ls >> kind;
        if (kind == "broker") {
            int id;
            ls >> id;
            v.brokers.push_back(id);
        } else if (kind == "controller") {
            ls >> v.controller >> v.controller_owner;
        } else if (kind == "epoch") {
            ls >> v.controller_epoch >> v.controller_epoch_version;
        } else if (kind == "ids_pzxid") {
            ls >> v.ids_pzxid;
        } else if (kind == "topic") {
            std::string name;
            int count;
            ls >> name >> count;
            v.topics[name] = count;
        } else if (kind == "partition") {
            partition_view p;
            std::string isr, replicas;
            ls >> p.topic >> p.partition >> p.leader >> p.leader_epoch >> p.controller_epoch >>
                p.zk_version >> p.mzxid >> isr >> replicas;
            p.isr = parse_ids(field(isr, "isr"));
            p.replicas = parse_ids(field(replicas, "replicas"));
            v.partitions[{p.topic, p.partition}] = std::move(p);
        } else if (!kind.empty()) {
            throw fixture_error("zk_tool cluster: unexpected line '" + line + "'");
        }
        if (ls.fail()) throw fixture_error("zk_tool cluster: cannot parse '" + line + "'");
    }
    std::sort(v.brokers.begin(), v.brokers.end());
    return v;
}

bool cluster_view::has_broker(int id) const {
    return std::find(brokers.begin(), brokers.end(), id) != brokers.end();
}

const partition_view* cluster_view::partition(const std::string& topic, int p) const {
    auto it = partitions.find({topic, p});
    return it == partitions.end() ? nullptr : &it->second;
}

std::vector<partition_view> cluster_view::topic_partitions(const std::string& topic) const {
    std::vector<partition_view> out;
    for (const auto& [key, p] : partitions) {
        if (key.first == topic) out.push_back(p);
    }
    return out;
}

std::vector<partition_view> cluster_view::led_by(int id) const {
    std::vector<partition_view> out;
    for (const auto& [key, p] : partitions) {
        if (p.leader == id) out.push_back(p);
    }
    return out;
}

bool cluster_view::all_led_by_live_brokers(const std::string& topic) const {
    auto it = topics.find(topic);
    if (it == topics.end()) return false;
    auto parts = topic_partitions(topic);
    if (static_cast<int>(parts.size()) != it->second) return false;
    return std::all_of(parts.begin(), parts.end(),
                       [&](const partition_view& p) { return p.leader >= 0 && has_broker(p.leader); });
}

std::map<int, int> cluster_view::leader_counts() const {
    std::map<int, int> out;
    for (const auto& [key, p] : partitions) {
        if (p.leader >= 0) out[p.leader]++;
    }
    return out;
}

std::string cluster_view::describe() const {
    std::ostringstream s;
    s << "brokers [" << join_ids(brokers) << "] controller " << controller << " epoch "
      << controller_epoch << "\n";
    for (const auto& [key, p] : partitions) {
        s << "  " << p.topic << "-" << p.partition << " leader " << p.leader << " leader_epoch "
          << p.leader_epoch << " isr [" << join_ids(p.isr) << "] replicas [" << join_ids(p.replicas)
          << "] controller_epoch " << p.controller_epoch << " zk_version " << p.zk_version << "\n";
    }
    return s.str();
}

}  // namespace test_support
