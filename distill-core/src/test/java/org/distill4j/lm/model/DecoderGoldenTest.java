package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Set;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

/**
 * The decoder's forward pass against an independent PyTorch implementation written from the
 * formulas ({@code tools/golden/lm_decoder_golden.py}): same parameters (by DJL name), same ids,
 * logits within 1e-4 absolute (float32 here vs float64 there; logits are of order 1-10). Catches a
 * wrong head split or merge, a missing causal mask, a wrong rotary layout, post-norm instead of
 * pre-norm, tanh-GELU instead of erf, or an untied head used when tied.
 */
class DecoderGoldenTest {

    @Test
    void logitsMatchPyTorchForLearnedAndRotaryPositions() throws Exception {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("/golden/lm_decoder_golden.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        assertThat(doc.get("cases").size()).isEqualTo(2);
        for (JsonNode c : doc.get("cases")) {
            String id = c.get("name").asText();
            DecoderConfig config = new DecoderConfig(
                    258,
                    c.get("layers").asInt(),
                    c.get("width").asInt(),
                    c.get("heads").asInt(),
                    c.get("context").asInt(),
                    0.0,
                    Positions.of(c.get("positions").asText()),
                    c.get("tied").asBoolean());
            try (LanguageModel lm = LanguageModel.create(config, ByteTokenizer.INSTANCE, 1);
                    NDManager m = NDManager.newBaseManager("PyTorch")) {
                Set<String> seen = new HashSet<>();
                for (Pair<String, Parameter> p : lm.model().getBlock().getParameters()) {
                    JsonNode values = c.at("/params/" + p.getKey() + "/values");
                    assertThat(values.isArray())
                            .as("%s: golden has parameter %s", id, p.getKey())
                            .isTrue();
                    float[] f = new float[values.size()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = (float) values.get(i).asDouble();
                    }
                    NDArray array = p.getValue().getArray();
                    assertThat(array.size()).as(p.getKey()).isEqualTo(f.length);
                    array.set(f);
                    seen.add(p.getKey());
                }
                assertThat(seen)
                        .as(id + ": every golden parameter is used")
                        .hasSize(c.get("params").size());
                JsonNode ids = c.get("ids");
                long[][] rows = new long[ids.size()][];
                for (int b = 0; b < rows.length; b++) {
                    rows[b] = new long[ids.get(b).size()];
                    for (int t = 0; t < rows[b].length; t++) {
                        rows[b][t] = ids.get(b).get(t).asLong();
                    }
                }
                float[] logits = lm.logits(m.create(rows)).toFloatArray();
                JsonNode want = c.get("logits");
                assertThat(logits).hasSize(want.size());
                double worst = 0;
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs(logits[i] - want.get(i).asDouble()));
                }
                assertThat(worst).as("%s: max |logit - PyTorch|", id).isLessThan(1e-4);
                assertThat(lm.logits(m.create(rows)).getShape()).isEqualTo(new Shape(rows.length, rows[0].length, 258));
            }
        }
    }
}
