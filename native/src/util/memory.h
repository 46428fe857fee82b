// How much memory this process can still take, for start-up checks that refuse a model or KV cache that cannot
// fit before anything is allocated.
#pragma once
#include <cstdint>
#include <string>

namespace jllm {

// min(MemAvailable of /proc/meminfo, the cgroup v2 limit minus its current usage); -1 when neither is readable.
// MemAvailable counts reclaimable page cache, so weights already cached from a mapped file count as available.
int64_t available_memory_bytes();

// "1234.5 MiB" (for messages).
std::string mib(int64_t bytes);

}  // namespace jllm
