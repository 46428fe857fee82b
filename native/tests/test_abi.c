/* jllm.h compiles as plain C99, and the shared library answers through it. */
#include <stdio.h>
#include <string.h>
#include "jllm.h"

int main(void) {
    int failed = 0;
    jllm_model* model = NULL;
    jllm_model_params mp = jllm_model_default_params();
    jllm_engine_params ep = jllm_engine_default_params();
    jllm_sampling_params sp = jllm_sampling_default_params();
    if (jllm_abi_version() != JLLM_ABI_VERSION) { printf("abi version mismatch\n"); failed++; }
    if (strstr(jllm_build_info(), "cpu") == NULL) { printf("build info lacks the backend\n"); failed++; }
    if (strcmp(jllm_status_str(JLLM_NO_FREE_BLOCKS), "JLLM_NO_FREE_BLOCKS") != 0) { printf("status_str\n"); failed++; }
    if (jllm_model_load(NULL, &mp, &model) != JLLM_INVALID_ARGUMENT || jllm_last_error()[0] == '\0') {
        printf("null path not refused\n");
        failed++;
    }
    if (ep.block_size != 16 || sp.top_p != 1.0f || sp.forced_token != -1) { printf("defaults\n"); failed++; }
    jllm_model_free(NULL);
    jllm_engine_free(NULL);
    printf("%s\n", jllm_build_info());
    printf("%d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed;
}
