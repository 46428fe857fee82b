///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//DEPS dev.jllm:jllm-engine:0.1.0
//RUNTIME_OPTIONS --enable-native-access=ALL-UNNAMED
import dev.jllm.api.Jllm;
import dev.jllm.api.ModelOptions;
import dev.jllm.engine.SamplingParams;
import java.nio.file.Path;

/** jllm in-process: load a model and generate (jbang examples/Generate.java MODEL [PROMPT]). */
class Generate {
    public static void main(String[] args) throws Exception {
        try (Jllm llm = Jllm.load(ModelOptions.builder(Path.of(args[0])).build())) {
            SamplingParams.Builder p = SamplingParams.builder();
            p.temperature = 0;
            p.maxTokens = 32;
            System.out.println(llm.generate(args.length > 1 ? args[1] : "Once upon a time", p.build()).text());
        }
    }
}
