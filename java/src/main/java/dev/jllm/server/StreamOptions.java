package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;

/** stream_options: {include_usage, continuous_usage_stats}; only valid with stream = true. */
record StreamOptions(boolean includeUsage, boolean continuous) {
    static StreamOptions read(Fields f, boolean stream) {
        JsonNode so = f.raw("stream_options");
        if (so == null) return new StreamOptions(false, false);
        if (!stream) throw ApiException.badRequest("Stream options can only be defined when `stream=True`.", "stream_options");
        if (!so.isObject()) throw ApiException.badRequest("stream_options must be an object.", "stream_options");
        JsonNode iu = so.get("include_usage"), cu = so.get("continuous_usage_stats");
        if ((iu != null && !iu.isBoolean() && !iu.isNull()) || (cu != null && !cu.isBoolean() && !cu.isNull()))
            throw ApiException.badRequest("stream_options fields must be booleans.", "stream_options");
        boolean include = iu != null && iu.asBoolean(false);
        return new StreamOptions(include, include && cu != null && cu.asBoolean(false));
    }
}
