#include "json.h"
#include <cmath>
#include <cstdlib>
#include <cstring>
#include "error.h"

namespace jllm {

class JsonParser {
public:
    explicit JsonParser(const std::string& t) : t_(t) {}

    Json document() {
        Json v = value(0);
        ws();
        if (i_ != t_.size()) bad("trailing characters");
        return v;
    }

private:
    const std::string& t_;
    size_t i_ = 0;

    [[noreturn]] void bad(const char* what) { fail(JLLM_INVALID_ARGUMENT, "invalid JSON at byte %zu: %s", i_, what); }

    void ws() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) i_++;
    }

    bool lit(const char* s) {
        size_t n = strlen(s);
        if (t_.compare(i_, n, s) == 0) { i_ += n; return true; }
        return false;
    }

    Json value(int depth) {
        if (depth > 200) bad("nesting too deep");
        ws();
        if (i_ >= t_.size()) bad("unexpected end");
        Json v;
        char c = t_[i_];
        if (c == '{') {
            v.type_ = Json::Type::Object;
            i_++;
            ws();
            if (i_ < t_.size() && t_[i_] == '}') { i_++; return v; }
            for (;;) {
                ws();
                if (i_ >= t_.size() || t_[i_] != '"') bad("expected a key string");
                std::string key = string();
                ws();
                if (i_ >= t_.size() || t_[i_] != ':') bad("expected ':'");
                i_++;
                v.o_.emplace_back(std::move(key), value(depth + 1));
                ws();
                if (i_ < t_.size() && t_[i_] == ',') { i_++; continue; }
                if (i_ < t_.size() && t_[i_] == '}') { i_++; return v; }
                bad("expected ',' or '}'");
            }
        }
        if (c == '[') {
            v.type_ = Json::Type::Array;
            i_++;
            ws();
            if (i_ < t_.size() && t_[i_] == ']') { i_++; return v; }
            for (;;) {
                v.a_.push_back(value(depth + 1));
                ws();
                if (i_ < t_.size() && t_[i_] == ',') { i_++; continue; }
                if (i_ < t_.size() && t_[i_] == ']') { i_++; return v; }
                bad("expected ',' or ']'");
            }
        }
        if (c == '"') { v.type_ = Json::Type::String; v.s_ = string(); return v; }
        if (lit("true")) { v.type_ = Json::Type::Bool; v.b_ = true; return v; }
        if (lit("false")) { v.type_ = Json::Type::Bool; return v; }
        if (lit("null")) return v;
        // Python's json.dumps writes these for non-finite floats; accept them as config files contain them.
        if (lit("NaN")) { v.type_ = Json::Type::Number; v.n_ = NAN; return v; }
        if (lit("Infinity")) { v.type_ = Json::Type::Number; v.n_ = INFINITY; return v; }
        if (lit("-Infinity")) { v.type_ = Json::Type::Number; v.n_ = -INFINITY; return v; }
        if (c == '-' || (c >= '0' && c <= '9')) {
            const char* start = t_.c_str() + i_;
            char* end = nullptr;
            v.n_ = strtod(start, &end);
            if (end == start) bad("bad number");
            i_ += (size_t)(end - start);
            v.type_ = Json::Type::Number;
            return v;
        }
        bad("unexpected character");
    }

    static void utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) out += (char)cp;
        else if (cp < 0x800) { out += (char)(0xc0 | (cp >> 6)); out += (char)(0x80 | (cp & 0x3f)); }
        else if (cp < 0x10000) {
            out += (char)(0xe0 | (cp >> 12)); out += (char)(0x80 | ((cp >> 6) & 0x3f)); out += (char)(0x80 | (cp & 0x3f));
        } else {
            out += (char)(0xf0 | (cp >> 18)); out += (char)(0x80 | ((cp >> 12) & 0x3f));
            out += (char)(0x80 | ((cp >> 6) & 0x3f)); out += (char)(0x80 | (cp & 0x3f));
        }
    }

    uint32_t hex4() {
        if (i_ + 4 > t_.size()) bad("short \\u escape");
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            char h = t_[i_++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= (uint32_t)(h - '0');
            else if (h >= 'a' && h <= 'f') v |= (uint32_t)(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= (uint32_t)(h - 'A' + 10);
            else bad("bad \\u escape");
        }
        return v;
    }

    std::string string() {
        i_++;  // opening quote
        std::string out;
        for (;;) {
            if (i_ >= t_.size()) bad("unterminated string");
            char c = t_[i_++];
            if (c == '"') return out;
            if (c != '\\') { out += c; continue; }
            if (i_ >= t_.size()) bad("unterminated escape");
            char e = t_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = hex4();
                    if (cp >= 0xd800 && cp < 0xdc00 && i_ + 1 < t_.size() && t_[i_] == '\\' && t_[i_ + 1] == 'u') {
                        i_ += 2;
                        uint32_t lo = hex4();
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    utf8(out, cp);
                    break;
                }
                default: bad("bad escape");
            }
        }
    }
};

Json Json::parse(const std::string& text) { return JsonParser(text).document(); }

static const Json kNull;

double Json::number() const {
    if (type_ == Type::Bool) return b_ ? 1 : 0;
    if (type_ != Type::Number) fail(JLLM_INVALID_ARGUMENT, "JSON value is not a number");
    return n_;
}
bool Json::boolean() const {
    if (type_ != Type::Bool) fail(JLLM_INVALID_ARGUMENT, "JSON value is not a boolean");
    return b_;
}
const std::string& Json::str() const {
    if (type_ != Type::String) fail(JLLM_INVALID_ARGUMENT, "JSON value is not a string");
    return s_;
}
const std::vector<Json>& Json::array() const {
    if (type_ != Type::Array) fail(JLLM_INVALID_ARGUMENT, "JSON value is not an array");
    return a_;
}
const std::vector<std::pair<std::string, Json>>& Json::object() const {
    if (type_ != Type::Object) fail(JLLM_INVALID_ARGUMENT, "JSON value is not an object");
    return o_;
}
const Json& Json::operator[](const std::string& key) const {
    if (type_ != Type::Object) return kNull;
    for (auto& kv : o_)
        if (kv.first == key) return kv.second;
    return kNull;
}
bool Json::has(const std::string& key) const { return !(*this)[key].is_null(); }
double Json::num_or(const std::string& key, double fallback) const {
    const Json& v = (*this)[key];
    return v.is_number() ? v.n_ : fallback;
}
std::string Json::str_or(const std::string& key, const std::string& fallback) const {
    const Json& v = (*this)[key];
    return v.is_string() ? v.s_ : fallback;
}
bool Json::bool_or(const std::string& key, bool fallback) const {
    const Json& v = (*this)[key];
    return v.type_ == Type::Bool ? v.b_ : fallback;
}

}  // namespace jllm
