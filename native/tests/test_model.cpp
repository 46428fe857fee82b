// The real stories260K model (../shared/models) against the independent reference (../shared/reference): greedy
// tokens and logits from GGUF and HF F32, the F16/BF16 copies, and the engine's paged-KV machinery (mixed
// batches, chunked prefill, shared prefix blocks, block copy and swap) giving the same numbers as plain runs.
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <unistd.h>
#include "check.h"
#include "jllm.h"
#include "util/json.h"

using jllm::Json;

static const std::string kShared = JLLM_SHARED_DIR;
static const std::string kGguf = kShared + "/models/stories260K/stories260K.gguf";
static const std::string kHf = kShared + "/models/stories260K-hf";

static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static jllm_model* load(const std::string& path, int32_t format = JLLM_LOAD_AUTO) {
    jllm_model_params mp = jllm_model_default_params();
    mp.load_format = format;
    jllm_model* m = nullptr;
    jllm_status st = jllm_model_load(path.c_str(), &mp, &m);
    if (st != JLLM_OK) printf("  load %s: %s %s\n", path.c_str(), jllm_status_str(st), jllm_last_error());
    return m;
}

// A tiny driver: sequences own blocks from a free list; each step is one jllm_engine_step call.
struct Driver {
    jllm_engine* e = nullptr;
    int32_t bs, vocab, stride;
    std::vector<int32_t> free_blocks;
    struct Seq {
        std::vector<int32_t> tokens;  // all tokens, cached ones first
        int32_t cached = 0;           // tokens whose K/V is in the cache
        std::vector<int32_t> table;
    };
    std::map<int, Seq> seqs;

    Driver(jllm_model* m, int32_t block_size, int32_t num_blocks, int32_t host_blocks = 0) {
        jllm_engine_params p = jllm_engine_default_params();
        p.block_size = block_size;
        p.num_blocks = num_blocks;
        p.num_host_blocks = host_blocks;
        p.num_threads = 2;
        jllm_status st = jllm_engine_create(m, &p, &e);
        if (st != JLLM_OK) printf("  engine: %s\n", jllm_last_error());
        jllm_engine_info info;
        jllm_engine_get_info(e, &info);
        jllm_model_info mi;
        jllm_model_get_info(m, &mi);
        bs = block_size;
        vocab = mi.vocab_size;
        stride = info.max_blocks_per_seq;
        for (int32_t b = num_blocks - 1; b >= 0; b--) free_blocks.push_back(b);
    }
    ~Driver() { jllm_engine_free(e); }

    void add(int id, std::vector<int32_t> prompt) { seqs[id].tokens = std::move(prompt); }

    // Runs one step over `ids`, feeding each at most `chunk` uncached tokens; returns logits of each
    // sequence's last fed token and appends the greedy token when a sequence has consumed all its tokens.
    // kv_only: a step that asks for no logits at all (num_logit_rows 0 with a row index array): returns nothing.
    std::map<int, std::vector<float>> step(const std::vector<int>& ids, int32_t chunk = 1 << 30, bool append = true,
                                           bool kv_only = false) {
        std::vector<int32_t> tok, pos, qs = {0}, ctx, tables;
        std::vector<int64_t> slots;
        for (int id : ids) {
            Seq& s = seqs[id];
            int32_t n = std::min<int32_t>(chunk, (int32_t)s.tokens.size() - s.cached);
            for (int32_t i = 0; i < n; i++) {
                int32_t p = s.cached + i;
                while ((int32_t)s.table.size() * bs <= p) { s.table.push_back(free_blocks.back()); free_blocks.pop_back(); }
                tok.push_back(s.tokens[p]);
                pos.push_back(p);
                slots.push_back((int64_t)s.table[p / bs] * bs + p % bs);
            }
            s.cached += n;
            qs.push_back((int32_t)tok.size());
            ctx.push_back(s.cached);
            std::vector<int32_t> row(stride, 0);
            std::copy(s.table.begin(), s.table.end(), row.begin());
            tables.insert(tables.end(), row.begin(), row.end());
        }
        jllm_batch b{};
        b.num_tokens = (int32_t)tok.size();
        b.token_ids = tok.data();
        b.positions = pos.data();
        b.slot_mapping = slots.data();
        b.num_seqs = (int32_t)ids.size();
        b.query_start = qs.data();
        b.context_lens = ctx.data();
        b.block_tables = tables.data();
        b.block_table_stride = stride;
        std::vector<float> logits(ids.size() * vocab);
        std::vector<jllm_sampling_params> ps(ids.size(), jllm_sampling_default_params());
        for (auto& p : ps) p.temperature = 0;
        std::vector<int32_t> out_tok(ids.size());
        std::vector<float> out_lp(ids.size());
        jllm_step_output out{out_tok.data(), out_lp.data(), nullptr, nullptr, 0, logits.data()};
        const int32_t no_rows[1] = {0};
        if (kv_only) b.logit_token_index = no_rows, b.num_logit_rows = 0;
        jllm_status st = jllm_engine_step(e, &b, ps.data(), &out);
        CHECK_MSG(st == JLLM_OK, "step: %s", jllm_last_error());
        std::map<int, std::vector<float>> res;
        if (kv_only) return res;
        for (size_t i = 0; i < ids.size(); i++) {
            res[ids[i]] = std::vector<float>(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab);
            Seq& s = seqs[ids[i]];
            if (append && s.cached == (int32_t)s.tokens.size()) s.tokens.push_back(out_tok[i]);
        }
        return res;
    }

    // Greedy generation of n tokens for one sequence.
    std::vector<int32_t> generate(int id, int n) {
        size_t start = seqs[id].tokens.size();
        while (seqs[id].tokens.size() < start + n) step({id});
        return std::vector<int32_t>(seqs[id].tokens.begin() + start, seqs[id].tokens.end());
    }
};

static std::vector<int32_t> ints(const Json& a) {
    std::vector<int32_t> v;
    for (auto& x : a.array()) v.push_back((int32_t)x.number());
    return v;
}

static Json greedy_reference() { return Json::parse(read(kShared + "/reference/stories260K-greedy.json")); }

static void check_greedy(const std::string& path) {
    jllm_model* m = load(path);
    CHECK(m != nullptr);
    if (!m) return;
    Json ref = greedy_reference();
    for (auto& c : ref["cases"].array()) {
        Driver d(m, 16, 64);
        d.add(0, ints(c["prompt_token_ids"]));
        std::vector<int32_t> got = d.generate(0, 64), want = ints(c["greedy_token_ids"]);
        want.resize(64);
        int same = 0;
        while (same < 64 && got[same] == want[same]) same++;
        CHECK_MSG(same == 64, "%s, prompt '%s': first %d of 64 tokens match", path.c_str(), c["prompt"].str().c_str(), same);
    }
    jllm_model_free(m);
}

TEST(gguf_reproduces_reference_greedy_tokens) { check_greedy(kGguf); }
TEST(hf_f32_reproduces_reference_greedy_tokens) { check_greedy(kHf); }

static std::vector<float> prompt_logits(jllm_model* m, const std::vector<int32_t>& prompt) {
    Driver d(m, 16, 64);
    d.add(0, prompt);
    return d.step({0})[0];
}

TEST(logits_match_the_reference_in_every_format) {
    Json ref = greedy_reference();
    std::vector<int32_t> prompt = ints(ref["cases"].array()[0]["prompt_token_ids"]);  // "Once upon a time"
    std::vector<float> want;
    for (auto& x : Json::parse(read(kShared + "/reference/stories260K-logits-once-upon-a-time.json")).array())
        want.push_back((float)x.number());
    struct { std::string path; float tol; } cases[] = {
        {kGguf, 1e-4f}, {kHf, 1e-4f}, {kShared + "/models/stories260K-hf-f16", 3e-2f},
        {kShared + "/models/stories260K-hf-bf16", 2e-1f}};
    for (auto& c : cases) {
        jllm_model* m = load(c.path);
        CHECK(m != nullptr);
        if (!m) continue;
        std::vector<float> got = prompt_logits(m, prompt);
        CHECK(got.size() == want.size());
        float err = max_abs_diff(got.data(), want.data(), want.size());
        printf("  %s: max |logit - reference| = %.3g\n", c.path.c_str(), err);
        CHECK_MSG(err < c.tol, "%s: %g >= %g", c.path.c_str(), err, c.tol);
        jllm_model_free(m);
    }
}

TEST(model_info_describes_the_model) {
    jllm_model* m = load(kHf);
    jllm_model_info info;
    CHECK(jllm_model_get_info(m, &info) == JLLM_OK);
    CHECK(info.vocab_size == 512 && info.hidden_size == 64 && info.num_layers == 5 && info.num_heads == 8 &&
          info.num_kv_heads == 4 && info.head_dim == 8 && info.max_model_len == 512);
    CHECK(info.bos_token_id == 1 && info.eos_token_id == 2);
    CHECK(info.num_params == 260032);
    CHECK(strcmp(info.architecture, "LlamaForCausalLM") == 0);
    jllm_model_free(m);
}

TEST(a_mixed_batch_gives_the_same_tokens_as_each_sequence_alone) {
    jllm_model* m = load(kGguf);
    Json ref = greedy_reference();
    Driver d(m, 8, 200);
    std::vector<int> ids;
    for (size_t i = 0; i < ref["cases"].array().size(); i++) {
        d.add((int)i, ints(ref["cases"].array()[i]["prompt_token_ids"]));
        ids.push_back((int)i);
    }
    // Stagger: sequence 0 prefills alone, then decodes while 1 and 2 prefill in chunks of 3 beside it.
    d.step({0});
    for (int s = 0; s < 40; s++) d.step(ids, 3);
    for (size_t i = 0; i < ids.size(); i++) {
        std::vector<int32_t> want = ints(ref["cases"].array()[i]["greedy_token_ids"]);
        const auto& all = d.seqs[ids[i]].tokens;
        size_t plen = ints(ref["cases"].array()[i]["prompt_token_ids"]).size();
        size_t n = all.size() - plen;
        CHECK(n >= 20);
        CHECK_MSG(std::equal(all.begin() + plen, all.end(), want.begin()), "sequence %zu diverged in a batch", i);
    }
    jllm_model_free(m);
}

// A prompt of a few dozen tokens: a reference case's prompt followed by its greedy continuation.
static std::vector<int32_t> long_prompt() {
    const Json ref = greedy_reference();
    const Json& c = ref["cases"].array()[0];
    std::vector<int32_t> p = ints(c["prompt_token_ids"]), g = ints(c["greedy_token_ids"]);
    p.insert(p.end(), g.begin(), g.end());
    return p;
}

// Chunked prefill (3 tokens a step) ends with the one-shot prefill's logits, whether the chunks before the last
// ask for their last token's logits or for none at all (num_logit_rows 0: the scheduler's steps over a prompt longer
// than max_num_batched_tokens only fill the KV cache).
TEST(chunked_prefill_matches_one_shot_prefill) {
    jllm_model* m = load(kHf);
    std::vector<int32_t> prompt = long_prompt();
    CHECK(prompt.size() >= 20);
    std::vector<float> full = prompt_logits(m, prompt);
    for (bool kv_only : {false, true}) {
        Driver d(m, 4, 64);
        d.add(0, prompt);
        while (d.seqs[0].cached + 3 < (int32_t)prompt.size()) d.step({0}, 3, false, kv_only);
        std::vector<float> last = d.step({0}, 3)[0];
        CHECK(d.seqs[0].cached == (int32_t)prompt.size());
        CHECK_MSG(max_abs_diff(last.data(), full.data(), full.size()) < 1e-5f, "kv_only %d", kv_only);
    }
    jllm_model_free(m);
}

TEST(shared_prefix_blocks_and_block_copy_give_the_same_continuation) {
    jllm_model* m = load(kGguf);
    std::vector<int32_t> prompt = ints(greedy_reference()["cases"].array()[0]["prompt_token_ids"]);  // 5 tokens
    Driver d(m, 4, 64);
    d.add(0, prompt);
    std::vector<int32_t> want = d.generate(0, 10);
    // Sequence 1 reuses sequence 0's first full block (as prefix caching does) and computes only the rest.
    Driver::Seq& s1 = d.seqs[1];
    s1.tokens = prompt;
    s1.table = {d.seqs[0].table[0]};
    s1.cached = 4;
    CHECK(d.generate(1, 10) == want);
    // Sequence 2 forks sequence 0 after its prompt by copying its blocks (copy-on-write).
    Driver::Seq& s2 = d.seqs[2];
    s2.tokens = std::vector<int32_t>(d.seqs[0].tokens.begin(), d.seqs[0].tokens.begin() + 9);
    s2.cached = 8;  // blocks 0-1 hold positions 0..7; position 8 is fed next
    std::vector<int32_t> src = {d.seqs[0].table[0], d.seqs[0].table[1]}, dst;
    for (int i = 0; i < 2; i++) { dst.push_back(d.free_blocks.back()); d.free_blocks.pop_back(); }
    CHECK(jllm_engine_copy_blocks(d.e, src.data(), dst.data(), 2) == JLLM_OK);
    s2.table = dst;
    std::vector<int32_t> cont = d.generate(2, 6);
    CHECK(std::equal(cont.begin(), cont.end(), want.begin() + 4));
    jllm_model_free(m);
}

TEST(swapped_out_blocks_come_back_intact) {
    jllm_model* m = load(kGguf);
    std::vector<int32_t> prompt = ints(greedy_reference()["cases"].array()[1]["prompt_token_ids"]);
    Driver ref(m, 4, 64);
    ref.add(0, prompt);
    std::vector<int32_t> want = ref.generate(0, 12);

    Driver d(m, 4, 64, 16);
    d.add(0, prompt);
    std::vector<int32_t> first = d.generate(0, 6);
    std::vector<int32_t> table = d.seqs[0].table, host(table.size());
    std::iota(host.begin(), host.end(), 3);
    CHECK(jllm_engine_swap_out(d.e, table.data(), host.data(), (int32_t)table.size()) == JLLM_OK);
    // Another sequence overwrites those very blocks while the first is out.
    for (int32_t b : table) d.free_blocks.push_back(b);
    d.add(1, {1, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317});
    d.step({1});
    std::vector<int32_t> back;
    for (size_t i = 0; i < host.size(); i++) { back.push_back(d.free_blocks.front()); d.free_blocks.erase(d.free_blocks.begin()); }
    CHECK(jllm_engine_swap_in(d.e, host.data(), back.data(), (int32_t)back.size()) == JLLM_OK);
    d.seqs[0].table = back;
    std::vector<int32_t> rest = d.generate(0, 6);
    first.insert(first.end(), rest.begin(), rest.end());
    CHECK(first == want);
    jllm_model_free(m);
}

TEST(bad_input_is_refused_with_a_clear_error) {
    jllm_model* m = nullptr;
    CHECK(jllm_model_load("/nonexistent/model", nullptr, &m) == JLLM_IO_ERROR && m == nullptr);
    CHECK(strstr(jllm_last_error(), "/nonexistent/model") != nullptr);
    // An unsupported architecture is named.
    char dir[] = "/tmp/jllm-test-XXXXXX";
    CHECK(mkdtemp(dir) != nullptr);
    std::ofstream(std::string(dir) + "/config.json") << "{\"architectures\":[\"GPT2LMHeadModel\"],\"model_type\":\"gpt2\"}";
    CHECK(jllm_model_load(dir, nullptr, &m) == JLLM_UNSUPPORTED);
    CHECK(strstr(jllm_last_error(), "GPT2LMHeadModel") != nullptr);
    unlink((std::string(dir) + "/config.json").c_str());
    rmdir(dir);
    // A truncated GGUF is an I/O error, not a crash.
    std::string trunc = "/tmp/jllm-trunc.gguf";
    std::string bytes = read(kGguf).substr(0, 300);
    std::ofstream(trunc, std::ios::binary) << bytes;
    CHECK(jllm_model_load(trunc.c_str(), nullptr, &m) == JLLM_IO_ERROR);
    unlink(trunc.c_str());
    // A batch with an out-of-range token id or block is refused.
    m = load(kGguf);
    Driver d(m, 4, 8);
    int32_t tok = 512, pos = 0, qs[2] = {0, 1}, ctx = 1, table[128] = {0};
    int64_t slot = 0;
    jllm_batch b{1, &tok, &pos, &slot, 1, qs, &ctx, table, d.stride, 0, nullptr};
    int32_t ot;
    float olp;
    jllm_sampling_params sp = jllm_sampling_default_params();
    jllm_step_output out{&ot, &olp, nullptr, nullptr, 0, nullptr};
    CHECK(jllm_engine_step(d.e, &b, &sp, &out) == JLLM_INVALID_ARGUMENT);
    CHECK(strstr(jllm_last_error(), "512") != nullptr);
    tok = 5;
    table[0] = 8;
    CHECK(jllm_engine_step(d.e, &b, &sp, &out) == JLLM_INVALID_ARGUMENT);
    table[0] = 0;
    CHECK(jllm_engine_step(d.e, &b, &sp, &out) == JLLM_OK);
    jllm_model_free(m);
}

TEST(dummy_weights_load_from_config_alone) {
    jllm_model* m = load(kHf, JLLM_LOAD_DUMMY);
    CHECK(m != nullptr);
    std::vector<float> l = prompt_logits(m, {1, 2, 3});
    bool finite = true;
    for (float v : l) finite &= std::isfinite(v);
    CHECK(finite);
    jllm_model_free(m);
}

int main() { return check::run_all(); }
