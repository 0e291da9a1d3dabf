// Writes every F32 tensor llama.cpp's graph computes while it decodes one batch of token ids, for a layer-by-layer comparison
// with `moxing logits MODEL --ids ... --all --dump DIR` (scripts/compare-activations.py):
//   OUT/NNNN-NAME.bin: four little-endian int32 dimensions (ggml's ne0..ne3), then the float32 values in that order.
// Build against a built llama.cpp tree (LLAMA = its source folder, libraries in $LLAMA/build/bin):
//   g++ -O2 -std=c++17 scripts/llama-tensor-dump.cpp -I$LLAMA/include -I$LLAMA/ggml/include -L$LLAMA/build/bin \
//       -lllama -lggml -lggml-base -Wl,-rpath,$LLAMA/build/bin -o llama-tensor-dump
// Run: llama-tensor-dump MODEL.gguf OUT 1,2,3 [--no-flash-attn] [--f32-kv]  (one thread, every position's logits)
#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

static std::string g_out;
static int g_count = 0;

// The scheduler asks first (ask = true: yes, every tensor) and then hands over each computed one.
static bool write_tensor(ggml_tensor * t, bool ask, void *) {
    if (ask || t->type != GGML_TYPE_F32) {
        return true;
    }
    std::vector<uint8_t> raw(ggml_nbytes(t));
    ggml_backend_tensor_get(t, raw.data(), 0, raw.size());
    std::vector<float> values;
    values.reserve(ggml_nelements(t));
    // views and permutes are not contiguous: walk the strides
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < t->ne[1]; i1++)
                for (int64_t i0 = 0; i0 < t->ne[0]; i0++) {
                    float v;
                    std::memcpy(&v, raw.data() + i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3], sizeof v);
                    values.push_back(v);
                }
    std::string name = t->name;
    for (char & c : name) {
        if (!(isalnum((unsigned char) c) || c == '.' || c == '_' || c == '-')) {
            c = '_';
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%04d-%s.bin", g_out.c_str(), g_count++, name.c_str());
    FILE * f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    const int32_t ne[4] = { (int32_t) t->ne[0], (int32_t) t->ne[1], (int32_t) t->ne[2], (int32_t) t->ne[3] };
    fwrite(ne, sizeof(int32_t), 4, f);
    fwrite(values.data(), sizeof(float), values.size(), f);
    fclose(f);
    return true;
}

int main(int argc, char ** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL.gguf OUT ID,ID,... [--no-flash-attn] [--f32-kv]\n", argv[0]);
        return 2;
    }
    g_out = argv[2];
    std::vector<llama_token> ids;
    std::stringstream list(argv[3]);
    for (std::string id; std::getline(list, id, ',');) {
        ids.push_back(std::atoi(id.c_str()));
    }
    llama_context_params cp = llama_context_default_params();
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--no-flash-attn")) {
            cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        } else if (!strcmp(argv[i], "--f32-kv")) {
            cp.type_k = cp.type_v = GGML_TYPE_F32;
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    llama_backend_init();
    llama_model * model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) {
        return 1;
    }
    cp.n_ctx = cp.n_batch = cp.n_ubatch = (uint32_t) ids.size();
    cp.n_threads = cp.n_threads_batch = 1;
    cp.cb_eval = write_tensor;
    llama_context * ctx = llama_init_from_model(model, cp);
    llama_batch batch = llama_batch_init((int32_t) ids.size(), 0, 1);
    for (size_t i = 0; i < ids.size(); i++) {
        batch.token[i] = ids[i];
        batch.pos[i] = (llama_pos) i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = (int32_t) ids.size();
    const int status = llama_decode(ctx, batch);
    fprintf(stderr, "%s: %d tensors\n", status ? "decode failed" : "wrote", g_count);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return status ? 1 : 0;
}
