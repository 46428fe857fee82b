// A read-only memory-mapped file; the mapping lives as long as the object.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace jllm {

class MappedFile {
public:
    explicit MappedFile(const std::string& path);  // throws Error(JLLM_IO_ERROR) naming the path
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace jllm
