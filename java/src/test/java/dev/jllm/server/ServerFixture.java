package dev.jllm.server;

import dev.jllm.TestModels;
import dev.jllm.engine.Engine;
import dev.jllm.engine.EngineConfig;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** One real server on stories260K (HF), shared by the HTTP tests of a test run; closed when the JVM exits. */
final class ServerFixture {
    static final String KEY = "sk-test-key";
    private static ServerFixture instance;

    final NativeModel model;
    final NativeExecutor exec;
    final Tokenizer tok;
    final Engine engine;
    final ServerContext ctx;
    final OpenAiServer server;
    final String base;

    static synchronized ServerFixture get() throws Exception {
        if (instance == null) instance = new ServerFixture();
        return instance;
    }

    private ServerFixture() throws Exception {
        model = NativeModel.load(TestModels.hf().toString(), NativeModel.Format.AUTO, 0, 0);
        exec = new NativeExecutor(model, new NativeExecutor.Config(16, 512, 0, 0, 1024, 64, 20, 2));
        tok = Tokenizers.load(TestModels.hf(), null);
        engine = new Engine(exec, tok, new EngineConfig(1024, 64, true, 20));
        String chatml = Files.readString(Path.of("../templates/chatml.jinja"));
        ctx = new ServerContext(engine, tok, List.of("stories", "alias"), "assistant", 20, new ChatTemplate(chatml),
                Set.of(KEY, "second-key"), 0, true, 1700000000L, 4096, null, SamplingDefaults.NONE, "/proxy", "hermes",
                PromptOptions.of(tok, dev.jllm.tokenizer.RenderLimits.DEFAULT, true));  // tests send request chat templates
        server = new OpenAiServer(ctx, new OpenAiServer.Options("127.0.0.1", 0, List.of("*"), List.of("*"), List.of("*"),
                false, 1 << 20, null, null), exec.numBlocks(), exec.blockSize()).start();
        base = "http://127.0.0.1:" + server.port();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            engine.close();
        }));
    }
}
