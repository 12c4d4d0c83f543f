package org.distill4j.teacher.http;

/** The HTTP protocol a teacher is reached by. */
public enum Protocol {
    /**
     * Open Inference Protocol v2 (KServe, Triton, Seldon, DJL Serving): {@code POST
     * {base}/v2/models/{name}[/versions/{v}]/infer}, several items per request, one output tensor
     * of shape [B, C].
     */
    V2("v2", "http-v2"),
    /**
     * OpenAI-compatible chat completions (OpenAI, vLLM, llama.cpp, Ollama): {@code POST
     * {base}/v1/chat/completions}, one item per request, soft labels from the log-probabilities of
     * the generated label tokens (see {@link LabelLogprobs}).
     */
    OPENAI("openai", "http-openai"),
    /**
     * Anthropic's Messages API: {@code POST {base}/v1/messages} with {@code x-api-key} and {@code
     * anthropic-version} headers, one item per request. It gives no log-probabilities and no {@code
     * n}, so labels are hard labels read from the answer text ({@link AnswerLabel}).
     */
    ANTHROPIC("anthropic", "http-anthropic");

    private final String wireName;
    private final String teacherKind;

    Protocol(String wireName, String teacherKind) {
        this.wireName = wireName;
        this.teacherKind = teacherKind;
    }

    /** Returns the name used in configuration and in the journal header: {@code v2} or {@code openai}. */
    public String wireName() {
        return wireName;
    }

    /** Returns the {@link org.distill4j.teacher.TeacherIdentity#kind()} of such a teacher. */
    public String teacherKind() {
        return teacherKind;
    }

    /**
     * Parses a configuration name, case-insensitively.
     *
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static Protocol parse(String name) {
        for (Protocol p : values()) {
            if (p.wireName.equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + name + "', expected one of: v2, openai, anthropic");
    }
}
