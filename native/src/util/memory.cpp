#include "memory.h"
#include <algorithm>
#include <cstdio>
#include <cstring>

namespace jllm {

static int64_t read_number(const char* path) {  // the first integer of a file; -1 for "max" or unreadable
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    long long v = -1;
    if (fscanf(f, "%lld", &v) != 1) v = -1;
    fclose(f);
    return v;
}

int64_t available_memory_bytes() {
    int64_t avail = -1;
    if (FILE* f = fopen("/proc/meminfo", "r")) {
        char line[256];
        long long kib;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1) { avail = (int64_t)kib * 1024; break; }
        fclose(f);
    }
    int64_t limit = read_number("/sys/fs/cgroup/memory.max"), used = read_number("/sys/fs/cgroup/memory.current");
    if (limit > 0 && used >= 0) {
        int64_t room = std::max<int64_t>(0, limit - used);
        avail = avail < 0 ? room : std::min(avail, room);
    }
    return avail;
}

std::string mib(int64_t bytes) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
    return buf;
}

}  // namespace jllm
