#include "mmap_file.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"

namespace jllm {

MappedFile::MappedFile(const std::string& path) : path_(path) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) fail(JLLM_IO_ERROR, "cannot open %s: %s", path.c_str(), strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        fail(JLLM_IO_ERROR, "cannot stat %s: %s", path.c_str(), strerror(e));
    }
    size_ = (size_t)st.st_size;
    if (size_ > 0) {
        void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            fail(JLLM_IO_ERROR, "cannot map %s: %s", path.c_str(), strerror(e));
        }
        data_ = (const uint8_t*)p;
    }
    close(fd);
}

MappedFile::~MappedFile() {
    if (data_) munmap((void*)data_, size_);
}

}  // namespace jllm
