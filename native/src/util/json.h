// A small JSON reader for config.json, safetensors headers and test fixtures (RFC 8259, no extensions).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jllm {

class Json {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    static Json parse(const std::string& text);  // throws Error(JLLM_INVALID_ARGUMENT) with the byte offset

    Type type() const { return type_; }
    bool is_null() const { return type_ == Type::Null; }
    bool is_number() const { return type_ == Type::Number; }
    bool is_string() const { return type_ == Type::String; }
    bool is_array() const { return type_ == Type::Array; }
    bool is_object() const { return type_ == Type::Object; }

    double number() const;              // throws unless a number
    bool boolean() const;               // throws unless a bool
    const std::string& str() const;     // throws unless a string
    const std::vector<Json>& array() const;
    const std::vector<std::pair<std::string, Json>>& object() const;  // in document order

    bool has(const std::string& key) const;        // object with that key, not null
    const Json& operator[](const std::string& key) const;  // a null Json when absent
    double num_or(const std::string& key, double fallback) const;
    std::string str_or(const std::string& key, const std::string& fallback) const;
    bool bool_or(const std::string& key, bool fallback) const;

private:
    friend class JsonParser;
    Type type_ = Type::Null;
    bool b_ = false;
    double n_ = 0;
    std::string s_;
    std::vector<Json> a_;
    std::vector<std::pair<std::string, Json>> o_;
};

}  // namespace jllm
