#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"

namespace storage {

/// Kafka's CheckpointFile text format, shared by leader-epoch-checkpoint and
/// replication-offset-checkpoint (FORMAT.md):
///
///   0\n                 version (only 0 exists)
///   <count>\n           number of entry lines that follow
///   <field> <field>..\n one entry per line, fields separated by one space
///
/// Reading follows Kafka's CheckpointReadBuffer: an empty file is no entries; a wrong version,
/// a count that is not a number or does not match the lines, or a line without exactly
/// `fields` whitespace-separated tokens is errc::corrupt_checkpoint. A missing file is nullopt.
result<std::optional<std::vector<std::vector<std::string>>>> read_checkpoint_file(
    const std::filesystem::path& file, size_t fields);

/// Writes version 0, lines.size() and the lines in Kafka's format, atomically.
result<void> write_checkpoint_file(const std::filesystem::path& file,
                                   const std::vector<std::string>& lines);

/// Writes "<file>.tmp", fsyncs it, renames it over file and fsyncs the directory: a crash leaves
/// the old or the new content, never a mix (Kafka's atomicMoveWithFallback).
result<void> write_file_atomically(const std::filesystem::path& file, std::string_view content);

/// Whole-token decimal parse (no sign prefix '+', no spaces, no trailing characters).
std::optional<int64_t> parse_int64(std::string_view s);
std::optional<int32_t> parse_int32(std::string_view s);

}  // namespace storage
