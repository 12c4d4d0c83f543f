package org.distill4j.teacher.http;

/** What the C values stored per item are. */
public enum ValueKind {
    /** Natural-log probabilities (OpenAI soft labels; v2 probabilities): softmax of them is the distribution itself. */
    LOG_PROBABILITIES("logprobs"),
    /** Raw scores as the v2 model returned them. */
    LOGITS("logits");

    private final String wireName;

    ValueKind(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the journal's name for it: {@code logprobs} or {@code logits}. */
    public String wireName() {
        return wireName;
    }
}
