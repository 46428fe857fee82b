// Anchor object of the shared library; every export is defined in api.cpp (linked whole from jllm_core).
#include "jllm.h"
